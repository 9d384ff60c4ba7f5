"""A broadcast survives the bot being killed with SIGKILL in the middle of sending.

The bot runs as a real subprocess; staff make the broadcast with the real CLI while it runs.
When a good part has gone out the process is killed (no shutdown code runs), then started
again. Every recipient must have the announcement in their chat, and the repeats must be
within the documented bound: at most the rows that were marked 'sending' at the crash, which
is at most the sender's window (README, "Broadcasts").
"""
from __future__ import annotations

import math
import secrets

import aiohttp

from bot.plurals import grouped
from channels.webchat.channel import session_ref
from storage.database import Database
from tests import stored
from tests.drivers import eventually
from tests.drivers.webchat import WebChatResident
from tests.process import BotProcess

RECIPIENTS = 4000
PER_CALL, CALLS_PER_SECOND, IN_FLIGHT_SECONDS = 25, 20, 1.0   # 500 residents a second
WINDOW = math.ceil(PER_CALL * CALLS_PER_SECOND * IN_FLIGHT_SECONDS)  # the sender's formula
ENVIRONMENT = {"SOUCHASTIE_WEBCHAT_BROADCAST_BATCH": str(PER_CALL),
               "SOUCHASTIE_WEBCHAT_BROADCAST_BATCHES_PER_SECOND": str(CALLS_PER_SECOND),
               "SOUCHASTIE_BROADCASTS_IN_FLIGHT_SECONDS": str(IN_FLIGHT_SECONDS),
               "SOUCHASTIE_BROADCASTS_FLUSH_SECONDS": "0.25",
               "SOUCHASTIE_BROADCASTS_IDLE_SECONDS": "0.2"}
TEXT = "Серия 3 «ПАРКУ БЫТЬ!» уже вышла"


async def residents_with_consent(path, count: int) -> list[str]:
    sessions = [secrets.token_hex(16) for _ in range(count)]
    db = await Database.open(path)
    try:
        async with db.transaction() as tx:
            made = await tx.residents.get_or_create_many(
                [("webchat", session_ref(s).external_id) for s in sessions])
            for resident in made.values():
                await tx.residents.record_consent(resident.id, "2026-11-01", "")
    finally:
        await db.close()
    return sessions


async def test_a_broadcast_killed_midway_reaches_everyone_after_a_restart_with_bounded_repeats(tmp_path):
    path = tmp_path / "souchastie.db"
    sessions = await residents_with_consent(path, RECIPIENTS)
    bot = BotProcess(tmp_path, **ENVIRONMENT)
    await bot.start()
    try:
        out = await bot.cli("broadcast", "create", "--text-ru", TEXT, "--channel", "webchat", "--yes")
        assert f"Получателей: {grouped(RECIPIENTS)}" in out

        def sent() -> int:
            return stored.InFile(path).count("deliveries", status="sent")
        await eventually(lambda: sent() >= RECIPIENTS // 4, timeout=30, interval=0.01)
        await bot.kill()
    finally:
        if bot.process.returncode is None:
            bot.process.kill()

    at_crash = stored.InFile(path).grouped("deliveries", "status")
    assert 0 < at_crash.get("pending", 0), f"the crash came too late to test anything: {at_crash}"
    in_flight = at_crash.get("sending", 0)
    assert in_flight <= WINDOW

    restarted = BotProcess(tmp_path, port=bot.port, **ENVIRONMENT)
    await restarted.start()
    try:
        await eventually(lambda: stored.InFile(path).values("broadcasts", "status")[0] == "done", timeout=30)
        async with aiohttp.ClientSession() as http:  # what three of the browsers now show
            for session in sessions[:: RECIPIENTS // 3][:3]:
                messages = await WebChatResident(http, restarted.base, session=session).later()
                assert {m.text for m in messages} == {TEXT}
    finally:
        assert await restarted.terminate() == 0

    counts = stored.InFile(path).copies_sent("webchat", TEXT)
    expected = {session_ref(s).external_id for s in sessions}
    assert set(counts) == expected  # nobody lost
    repeats = sum(n - 1 for n in counts.values())
    assert repeats <= in_flight <= WINDOW  # duplicates only among the rows in flight at the crash
    assert stored.InFile(path).grouped("deliveries", "status") == {"sent": RECIPIENTS}
    log = (tmp_path / "bot.log").read_text()
    if in_flight:
        assert f"webchat: сообщений рассылок осталось в отправке от прежнего отправителя: {in_flight};" in log
