"""Crash tests on PostgreSQL: three real ``python -m bot run`` processes on one PostgreSQL database,
behind a load balancer (each request to whichever process), against a fake Telegram on loopback.

One of them is killed with SIGKILL (no shutdown code runs) in the middle of the work that only one
process of the cluster does at a time (bot/leadership.py):
- under an inbound flood (web-chat messages spread over the three, Telegram updates by getUpdates),
  the long-poll leader: nothing acknowledged is lost (a web-chat 200, an update the bot confirmed
  by its next offset), nothing is processed twice, each resident's replies follow the order of
  their messages, and another process polls within the lease;
- during a broadcast to thousands of Telegram residents, the sender leader: every recipient gets
  it, repeats stay within the sender's window (README, "Broadcasts"), the strict fake never answers
  "too many requests", and another process sends within the lease.
Takeover times are printed; the only bounds on them are the ones correctness needs (three leases).
"""
from __future__ import annotations

import asyncio
import itertools
import math
import secrets
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.plurals import grouped
from channels.webchat.channel import session_ref
from channels.webchat.parse import message_key
from storage.postgres.database import PostgresDatabase
from tests import stored
from tests.drivers import eventually
from tests.drivers.telegram import TelegramResident, bot_environment
from tests.drivers.webchat import API
from tests.fakes.telegram import FakeTelegram
from tests.process import BotProcess, start_cluster, stop_cluster

LEASE = 3.0   # cluster.lease_seconds in these tests
POLL_TIMEOUT = 1   # telegram.poll_timeout_seconds
TAKEOVER_BOUND = 3 * LEASE   # a correctness bound, not a timing target
REPLIES_TO_START = 2   # a resident without consent is greeted and asked for it (tests/test_durability.py)


def environment_on(url: str, fake: FakeTelegram, **environment: str) -> dict[str, str]:
    return bot_environment(fake, SOUCHASTIE_STORAGE_URL=url, SOUCHASTIE_TELEGRAM_POLL_TIMEOUT_SECONDS=str(POLL_TIMEOUT),
                           SOUCHASTIE_CLUSTER_LEASE_SECONDS=str(LEASE), SOUCHASTIE_INBOX_RETRY_EVERY_SECONDS="1",
                           SOUCHASTIE_INBOX_RETRY_OLDER_THAN_SECONDS="2", **environment)


async def holder_of(db: PostgresDatabase, kind: str, bots: list[BotProcess]) -> BotProcess:
    """The bot process holding the lease whose name starts with ``kind`` ("receive:telegram:")."""
    leases = await stored.rows(db, "leases", "name", "holder")
    holders = [holder for name, holder in leases if name.startswith(kind)]
    assert len(holders) == 1, leases
    pid = int(holders[0].split(":")[-2])
    return next(bot for bot in bots if bot.process is not None and bot.process.pid == pid)


async def taken_over(db: PostgresDatabase, kind: str, bots: list[BotProcess], killed_at: float) -> float:
    """Seconds from the kill until a surviving process holds the lease ``kind`` (read in the
    ``leases`` table, every 20 ms)."""
    async def by_a_survivor() -> bool:
        return await holder_of(db, kind, bots) in alive(bots)
    await eventually(by_a_survivor, timeout=TAKEOVER_BOUND)
    return time.monotonic() - killed_at


async def killed(bot: BotProcess) -> float:
    """SIGKILL ``bot``; the monotonic time it was killed at."""
    moment = time.monotonic()
    await bot.kill()
    return moment


def alive(bots: list[BotProcess]) -> list[BotProcess]:
    return [bot for bot in bots if bot.process is not None and bot.process.returncode is None]


class Residents:
    """Telegram users of the fake, for TelegramResident (which reads ``world.fake``)."""

    def __init__(self, fake: FakeTelegram, first: int, count: int) -> None:
        self.fake = fake
        self.people = [TelegramResident(self, first + n, f"Житель {n}") for n in range(count)]


def replies_in_order(updates: list[str], inbox: dict[str, int], replies: dict[int, list[int]]) -> bool:
    """Whether the replies (outbox ids, in the order written) to ``updates`` come in their order:
    every reply to one is written before any reply to the next."""
    written = [sorted(replies[inbox[update]]) for update in updates]
    return all(before[-1] < after[0] for before, after in itertools.pairwise(written))


# -- the inbound flood; the long-poll leader killed -------------------------------------------------

WEB_RESIDENTS, TELEGRAM_RESIDENTS = 24, 12


@pytest.mark.alone  # three bots under a flood
async def test_an_inbound_flood_over_three_processes_survives_the_long_poll_leader_killed(
        postgres_databases: Any, tmp_path: Path) -> None:
    url = await postgres_databases.empty()
    fake = await FakeTelegram().start()
    bots: list[BotProcess] = []
    db: PostgresDatabase | None = None
    acknowledged: dict[str, list[str]] = defaultdict(list)   # session → message ids answered 200, in order
    pushed: dict[int, list[int]] = defaultdict(list)          # chat → update ids, in order
    flooding = asyncio.Event()
    flooding.set()
    turn = itertools.count()

    async def browser(http: aiohttp.ClientSession) -> None:
        """One resident's browser: a message at a time, each to the next process in turn."""
        session = secrets.token_hex(16)
        while flooding.is_set():
            message_id = uuid.uuid4().hex
            running = alive(bots)
            bot = running[next(turn) % len(running)]
            try:
                async with http.post(bot.base + API, json={"id": message_id, "text": "/start"},
                                     headers={"X-Session": session}) as response:
                    if response.status == 200:
                        await response.json()
                        acknowledged[session].append(message_id)
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass   # the process was killed under it: not acknowledged, the browser sends on

    async def messenger(person: TelegramResident) -> None:
        while flooding.is_set():
            pushed[person.chat_id].append(await person.push(person.message(text="/start")))
            await asyncio.sleep(0.1)

    try:
        bots = await start_cluster(tmp_path, 3, environment_on(url, fake))
        db = await PostgresDatabase.open(url, migrate=False)
        people = Residents(fake, 408_310_000, TELEGRAM_RESIDENTS).people
        async with aiohttp.ClientSession() as http:
            flood = [asyncio.create_task(browser(http)) for _ in range(WEB_RESIDENTS)]
            flood += [asyncio.create_task(messenger(person)) for person in people]
            await eventually(lambda: sum(map(len, acknowledged.values())) >= 300 and fake.confirmed, timeout=60)
            poller = await holder_of(db, "receive:telegram:", bots)
            acknowledged_before = sum(map(len, acknowledged.values()))
            assert fake.most_polling == 1
            killed_at = await killed(poller)
            lease_taken = await taken_over(db, "receive:telegram:", bots, killed_at)
            await eventually(lambda: any(c.arrived > killed_at for c in fake.calls_of("getUpdates")),
                             timeout=TAKEOVER_BOUND)
            took = min(c.arrived for c in fake.calls_of("getUpdates") if c.arrived > killed_at) - killed_at
            # The fake holds the killed poller's last request open until its timeout: counted from then.
            await asyncio.sleep(POLL_TIMEOUT + 0.5)
            fake.most_polling = fake.polling
            await eventually(lambda: sum(map(len, acknowledged.values())) >= 2 * acknowledged_before, timeout=60)
            flooding.clear()
            await asyncio.gather(*flood)
        last = max(update for updates in pushed.values() for update in updates)
        await eventually(lambda: fake.confirmed > last, timeout=30)
        # Replies the killed leader wrote and had not sent go out from another process.
        await eventually(lambda: _all_processed(db), timeout=30)
        survivors = alive(bots)
        assert await holder_of(db, "receive:telegram:", bots) in survivors
        assert fake.most_polling == 1
        for bot in survivors:
            assert await bot.terminate() == 0

        messages = sum(map(len, acknowledged.values()))
        updates = sum(map(len, pushed.values()))
        repeats = sum(len(fake.sent_to(chat)) for chat in pushed) - REPLIES_TO_START * updates
        print(f"\nlong poll: lease taken {lease_taken:.2f} s and getUpdates asked {took:.2f} s after SIGKILL "
              f"(cluster.lease_seconds = {LEASE}); "
              f"{messages} web-chat messages acknowledged ({acknowledged_before} before the kill), "
              f"{updates} Telegram updates confirmed, {repeats} Telegram replies sent twice")
        assert lease_taken < TAKEOVER_BOUND and took < TAKEOVER_BOUND

        inbox = {update: row for row, update in await stored.rows(db, "inbox", "id", "update_id")}
        assert await stored.count(db, "inbox", processed_at=None) == 0
        assert await stored.count(db, "inbox", error=stored.SET) == 0
        replies: dict[int, list[int]] = defaultdict(list)
        for reply, inbox_id in await stored.rows(db, "outbox", "id", "inbox_id"):
            replies[inbox_id].append(reply)
        # Processed once: each stored event has the replies of one processing, no more.
        assert {len(replies[row]) for row in inbox.values()} == {REPLIES_TO_START}

        for session, message_ids in acknowledged.items():   # nothing acknowledged lost, order kept
            keys = [message_key(session_ref(session), message_id) for message_id in message_ids]
            assert all(key in inbox for key in keys)
            assert replies_in_order(keys, inbox, replies), session
        for chat, update_ids in pushed.items():   # every update confirmed: stored, in order
            keys = [str(update_id) for update_id in update_ids]
            assert all(key in inbox for key in keys), chat
            assert replies_in_order(keys, inbox, replies), chat
            assert len(fake.sent_to(chat)) >= REPLIES_TO_START * len(keys), chat   # none lost
        # Sent again: only replies the killed process was sending (one event's a resident at most).
        assert repeats <= REPLIES_TO_START * len(pushed)
    finally:
        flooding.clear()
        await stop_cluster(bots)
        await fake.close()
        if db is not None:
            await db.close()
    await postgres_databases.drop(url)


async def _all_processed(db: PostgresDatabase) -> bool:
    return await stored.count(db, "inbox", processed_at=None) == 0 and \
        await stored.count(db, "outbox", status="pending") == 0


# -- a broadcast; the sender leader killed -----------------------------------------------------------

RECIPIENTS = 2000
CEILING = 80   # the bot is told 80 a second; the strict fake allows 79 (tests/test_broadcast_pacing.py)
IN_FLIGHT_SECONDS = 2.0   # broadcasts.in_flight_seconds (the default)
WINDOW = math.ceil(CEILING * 1 * IN_FLIGHT_SECONDS)   # the sender's window: calls/s × recipients a call × seconds
TEXT = "Голосование за название парка открыто до воскресенья"


async def residents_with_consent(url: str, chats: list[int]) -> None:
    db = await PostgresDatabase.open(url)
    try:
        async with db.transaction() as tx:
            made = await tx.residents.get_or_create_many([("telegram", str(chat)) for chat in chats])
            for resident in made.values():
                await tx.residents.record_consent(resident.id, "2026-11-01", "")
    finally:
        await db.close()


def received(fake: FakeTelegram, chats: list[int], text: str) -> dict[int, int]:
    return {chat: sum(text in m.get("text", "") for m in fake.sent_to(chat)) for chat in chats}


@pytest.mark.alone  # rates read off the clock
async def test_a_broadcast_from_three_processes_survives_the_sender_leader_killed_within_the_ceiling(
        postgres_databases: Any, tmp_path: Path) -> None:
    url = await postgres_databases.empty()
    chats = [408_320_000 + n for n in range(RECIPIENTS)]
    await residents_with_consent(url, chats)
    fake = await FakeTelegram(ceiling=CEILING - 1, strict=True).start()
    environment = environment_on(url, fake, SOUCHASTIE_WEBCHAT_ENABLED="false",
                                 SOUCHASTIE_TELEGRAM_BROADCAST_PER_SECOND=str(CEILING),
                                 SOUCHASTIE_BROADCASTS_IN_FLIGHT_SECONDS=str(IN_FLIGHT_SECONDS),
                                 SOUCHASTIE_BROADCASTS_IDLE_SECONDS="0.2")
    bots: list[BotProcess] = []
    db = await PostgresDatabase.open(url, migrate=False)
    try:
        bots = await start_cluster(tmp_path, 3, environment)
        out = await bots[2].cli("broadcast", "create", "--text-ru", TEXT, "--channel", "telegram", "--yes")
        assert f"Получателей: {grouped(RECIPIENTS)}" in out
        await eventually(lambda: len(fake.accepted_at) >= RECIPIENTS // 3, timeout=60, interval=0.05)
        sender = await holder_of(db, "send:telegram:", bots)
        killed_at = await killed(sender)
        in_flight = await stored.count(db, "deliveries", status="sending")
        lease_taken = await taken_over(db, "send:telegram:", bots, killed_at)
        sent_by_then = len(fake.accepted_at)
        await eventually(lambda: any(moment > killed_at + 0.5 for moment in fake.accepted_at[sent_by_then:]),
                         timeout=TAKEOVER_BOUND)
        took = min(moment for moment in fake.accepted_at[sent_by_then:] if moment > killed_at + 0.5) - killed_at
        await eventually(lambda: _broadcast_done(db), timeout=120, interval=0.2)
        assert await holder_of(db, "send:telegram:", bots) in alive(bots)
        for bot in alive(bots):
            assert await bot.terminate() == 0
    finally:
        await stop_cluster(bots)
        await fake.close()
        await db.close()
    counts = received(fake, chats, TEXT)
    repeats = sum(counts.values()) - len(chats)
    print(f"\nbroadcast sender: lease taken {lease_taken:.2f} s and the next send (0.5 s at least, past what "
          f"was in flight) {took:.2f} s after SIGKILL (cluster.lease_seconds = {LEASE}); "
          f"{sent_by_then} of {RECIPIENTS} sent by then, {in_flight} in flight, {repeats} sent twice "
          f"(window {WINDOW}), {fake.rate_limited} rate-limit answers")
    assert lease_taken < TAKEOVER_BOUND and took < TAKEOVER_BOUND
    assert fake.rate_limited == 0
    assert min(counts.values()) == 1   # recipients lost: 0
    assert repeats <= in_flight <= WINDOW   # only what was in flight at the kill goes again
    await postgres_databases.drop(url)


async def _broadcast_done(db: PostgresDatabase) -> bool:
    return await stored.values(db, "broadcasts", "status") == ["done"]
