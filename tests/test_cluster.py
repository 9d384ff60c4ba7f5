"""Several bot processes on one database: real ``python -m bot run`` subprocesses sharing one
SQLite file (WAL, busy_timeout) and one fake Telegram on loopback.

What the cluster must keep (bot/leadership.py): one process polls getUpdates for the token at a
time, and another takes over when that one is killed (SIGKILL), within the lease; a broadcast
sent with two processes reaches each resident once and the platform never sees more calls in a
second than its ceiling; the scheduler's jobs fire once in the cluster, and go on after the
process that ran them is killed. Takeover times are printed, and bounded only by what
correctness requires (three leases)."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from storage.open import open_database
from tests import stored
from tests.drivers import eventually, test_settings
from tests.drivers.telegram import TelegramResident, bot_environment
from tests.fakes.telegram import FakeTelegram
from tests.process import BotProcess, start_cluster, stop_cluster

LEASE = 3.0   # cluster.lease_seconds in these tests
TAKEOVER_BOUND = 3 * LEASE   # a correctness bound, not a timing target


def cluster_environment(tmp_path: Path, fake: FakeTelegram, **environment: str) -> dict[str, str]:
    return bot_environment(fake, SOUCHASTIE_WEBCHAT_ENABLED="false", SOUCHASTIE_TELEGRAM_POLL_TIMEOUT_SECONDS="1",
                           SOUCHASTIE_CLUSTER_LEASE_SECONDS=str(LEASE),
                           SOUCHASTIE_STORAGE_PATH=str(tmp_path / "souchastie.db"),
                           SOUCHASTIE_STORAGE_ATTACHMENTS_DIR=str(tmp_path / "attachments"), **environment)


def holder_of(tmp_path: Path, kind: str, bots: list[BotProcess]) -> BotProcess:
    """The bot process holding the lease whose name starts with ``kind`` ("receive:telegram:")."""
    leases = stored.InFile(tmp_path / "souchastie.db").rows("leases", "name", "holder")
    holders = [holder for name, holder in leases if name.startswith(kind)]
    assert len(holders) == 1, leases
    pid = int(holders[0].split(":")[-2])
    return next(bot for bot in bots if bot.process is not None and bot.process.pid == pid)


async def killed(bot: BotProcess) -> float:
    """SIGKILL ``bot``; the monotonic time it was killed at."""
    moment = time.monotonic()
    await bot.kill()
    return moment


class Residents:
    """Telegram users of the fake, for TelegramResident (which reads ``world.fake``)."""

    def __init__(self, fake: FakeTelegram, first: int, count: int) -> None:
        self.fake = fake
        self.people = [TelegramResident(self, first + n, f"Житель {n}") for n in range(count)]


async def test_one_process_of_three_polls_telegram_and_another_takes_over_when_it_is_killed(tmp_path):
    fake = await FakeTelegram().start()
    bots: list[BotProcess] = []
    try:
        bots = await start_cluster(tmp_path, 3, cluster_environment(tmp_path, fake))
        people = Residents(fake, 408_270_000, 6).people
        before, after = people[:3], people[3:]
        for person in before:
            await person.push(person.message(text="/start"))
        await eventually(lambda: all(fake.sent_to(p.chat_id) for p in before), timeout=30)
        await asyncio.sleep(LEASE)  # renewals, and the standbys asking, while one polls
        assert fake.most_polling == 1

        poller = holder_of(tmp_path, "receive:telegram:", bots)
        killed_at = await killed(poller)
        for person in after:
            await person.push(person.message(text="/start"))
        await eventually(lambda: any(c.arrived > killed_at for c in fake.calls_of("getUpdates")),
                         timeout=TAKEOVER_BOUND)
        took = min(c.arrived for c in fake.calls_of("getUpdates") if c.arrived > killed_at) - killed_at
        print(f"\ngetUpdates taken over {took:.2f} s after SIGKILL (cluster.lease_seconds = {LEASE})")
        assert took < TAKEOVER_BOUND
        await eventually(lambda: all(fake.sent_to(p.chat_id) for p in after), timeout=30)
        survivors = [bot for bot in bots if bot is not poller]
        assert holder_of(tmp_path, "receive:telegram:", bots) in survivors
        assert fake.most_polling == 1
        inbox = stored.InFile(tmp_path / "souchastie.db").values("inbox", "update_id", channel="telegram")
        assert len(inbox) == len(set(inbox)) == len(people)
        for bot in survivors:
            assert await bot.terminate() == 0
    finally:
        await stop_cluster(bots)
        await fake.close()


# -- broadcasts ---------------------------------------------------------------------------------

CEILING = 80   # the bot is told 80 a second; the strict fake allows 79 (tests/test_broadcast_pacing.py)
TEXT = "Голосование за название парка открыто до воскресенья"


async def residents_with_consent(path: Path, chats: list[int], topic: str | None = None) -> None:
    db = await open_database(test_settings(path.parent, SOUCHASTIE_STORAGE_PATH=str(path)).storage.choice())
    try:
        async with db.transaction() as tx:
            made = await tx.residents.get_or_create_many([("telegram", str(chat)) for chat in chats])
            for resident in made.values():
                await tx.residents.record_consent(resident.id, "2026-11-01", "")
                if topic is not None:
                    await tx.subscriptions.subscribe(resident.id, topic)
    finally:
        await db.close()


def received(fake: FakeTelegram, chats: list[int], text: str) -> dict[int, int]:
    return {chat: sum(text in m.get("text", "") for m in fake.sent_to(chat)) for chat in chats}


@pytest.mark.alone  # rates read off the clock
async def test_a_broadcast_from_two_processes_reaches_each_resident_once_within_the_ceiling(tmp_path):
    chats = [408_280_000 + n for n in range(400)]
    await residents_with_consent(tmp_path / "souchastie.db", chats)
    fake = await FakeTelegram(ceiling=CEILING - 1, strict=True).start()
    environment = cluster_environment(tmp_path, fake, SOUCHASTIE_TELEGRAM_BROADCAST_PER_SECOND=str(CEILING),
                                      SOUCHASTIE_BROADCASTS_IDLE_SECONDS="0.2")
    bots: list[BotProcess] = []
    try:
        bots = await start_cluster(tmp_path, 2, environment)
        out = await bots[1].cli("broadcast", "create", "--text-ru", TEXT, "--channel", "telegram", "--yes")
        assert "Получателей: 400" in out
        await eventually(lambda: stored.InFile(tmp_path / "souchastie.db").values("broadcasts", "status") == ["done"],
                         timeout=60, interval=0.2)
        for bot in bots:
            assert await bot.terminate() == 0
    finally:
        await stop_cluster(bots)
        await fake.close()
    assert fake.rate_limited == 0
    assert set(received(fake, chats, TEXT).values()) == {1}


@pytest.mark.alone  # rates read off the clock
async def test_when_the_sending_process_is_killed_the_other_finishes_the_broadcast_within_the_ceiling(tmp_path):
    chats = [408_290_000 + n for n in range(600)]
    await residents_with_consent(tmp_path / "souchastie.db", chats)
    fake = await FakeTelegram(ceiling=CEILING - 1, strict=True).start()
    environment = cluster_environment(tmp_path, fake, SOUCHASTIE_TELEGRAM_BROADCAST_PER_SECOND=str(CEILING),
                                      SOUCHASTIE_BROADCASTS_IDLE_SECONDS="0.2")
    bots: list[BotProcess] = []
    try:
        bots = await start_cluster(tmp_path, 2, environment)
        await bots[1].cli("broadcast", "create", "--text-ru", TEXT, "--channel", "telegram", "--yes")
        await eventually(lambda: len(fake.accepted_at) >= 150, timeout=30, interval=0.05)
        sender = holder_of(tmp_path, "send:telegram:", bots)
        killed_at = await killed(sender)
        sent_by_then = len(fake.accepted_at)
        await eventually(lambda: any(moment > killed_at + 0.5 for moment in fake.accepted_at[sent_by_then:]),
                         timeout=TAKEOVER_BOUND)
        took = min(moment for moment in fake.accepted_at[sent_by_then:] if moment > killed_at + 0.5) - killed_at
        print(f"\nbroadcast sender taken over {took:.2f} s after SIGKILL (cluster.lease_seconds = {LEASE})")
        await eventually(lambda: stored.InFile(tmp_path / "souchastie.db").values("broadcasts", "status") == ["done"],
                         timeout=60, interval=0.2)
        survivor = next(bot for bot in bots if bot is not sender)
        assert await survivor.terminate() == 0
    finally:
        await stop_cluster(bots)
        await fake.close()
    assert fake.rate_limited == 0
    counts = received(fake, chats, TEXT)
    assert min(counts.values()) == 1
    # What was in flight when the sender died goes again: at most one sender's window (README).
    window = CEILING * 2   # calls a second × recipients a call × broadcasts.in_flight_seconds (2)
    assert sum(counts.values()) - len(chats) <= window


# -- the scheduler ------------------------------------------------------------------------------

def series_file(tmp_path: Path, *episodes: tuple[int, datetime]) -> Path:
    lines = ["series:", "  - key: parku_byt", "    title: {ru: \"ПАРКУ БЫТЬ!\"}", "    episodes:"]
    for number, air_at in episodes:
        lines += [f"      - number: {number}", f"        title: {{ru: \"Серия про парк {number}\"}}",
                  f"        video_url: https://example.org/parku-byt/{number}",
                  f"        air_at: {air_at.isoformat(timespec='seconds')}"]
    path = tmp_path / f"series_{len(episodes)}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def test_an_episode_is_announced_once_by_three_processes_and_after_the_scheduler_is_killed(tmp_path):
    chats = [408_300_000 + n for n in range(5)]
    await residents_with_consent(tmp_path / "souchastie.db", chats, topic="episodes")
    fake = await FakeTelegram().start()
    environment = cluster_environment(tmp_path, fake, SOUCHASTIE_EPISODES_CHECK_EVERY_SECONDS="0.5",
                                      SOUCHASTIE_BROADCASTS_IDLE_SECONDS="0.2")
    bots: list[BotProcess] = []
    database = stored.InFile(tmp_path / "souchastie.db")
    try:
        bots = await start_cluster(tmp_path, 3, environment)
        first = datetime.now(timezone.utc) + timedelta(seconds=3)
        await bots[0].cli("content", "load", str(series_file(tmp_path, (1, first))))
        await eventually(lambda: set(received(fake, chats, "Серия про парк 1").values()) == {1}, timeout=30)
        # Sent and written down (a kill before that would send those again: the sender's window).
        await eventually(lambda: database.values("broadcasts", "status") != ["sending"], timeout=30)
        # Every process would have made the announcement's broadcast; only the first to mark the
        # episode would have kept it, the others cancelled. One scheduler in the cluster makes one.
        assert database.values("broadcasts", "status") == ["done"]

        scheduler = holder_of(tmp_path, "scheduler", bots)
        await killed(scheduler)
        second = datetime.now(timezone.utc) + timedelta(seconds=2)
        survivors = [bot for bot in bots if bot is not scheduler]
        await survivors[0].cli("content", "load", str(series_file(tmp_path, (1, first), (2, second))))
        await eventually(lambda: set(received(fake, chats, "Серия про парк 2").values()) == {1},
                         timeout=TAKEOVER_BOUND + 30)
        assert holder_of(tmp_path, "scheduler", bots) in survivors
        await eventually(lambda: database.values("broadcasts", "status") == ["done", "done"], timeout=30)
        await asyncio.sleep(1)   # a second scheduler would announce it a second time meanwhile
        assert set(received(fake, chats, "Серия про парк 2").values()) == {1}
        assert set(received(fake, chats, "Серия про парк 1").values()) == {1}
        for bot in survivors:
            assert await bot.terminate() == 0
    finally:
        await stop_cluster(bots)
        await fake.close()
