"""Broadcasts through the fake Telegram Bot API when Telegram misbehaves: 429 storms, 5xx,
time-outs after the request left, residents who blocked the bot.

The fake enforces Telegram's ceiling (``ceiling``: more sends than that within any second get a
429 of its own), so every test also shows the sender never provokes one by its pace.
"""
from __future__ import annotations

import pytest

from broadcasts.audience import Audience
from broadcasts.outbox import BroadcastSpec, create, progress
from tests import stored
from tests.drivers import eventually
from tests.drivers.telegram import world as telegram_world
from tests.fakes.telegram import FakeTelegram
from tests.test_broadcasts import add_resident

# The fake runs in the test's own event loop, where a garbage collection can hold back a few
# requests and let them arrive together; the bot is set a little under the fake's ceiling so that
# such bunching is not mistaken for the sender's pace (bench/ measures the pace at the ceiling).
CEILING = 50
FAST = {"SOUCHASTIE_TELEGRAM_BROADCAST_PER_SECOND": str(CEILING * 0.9), "SOUCHASTIE_BROADCASTS_BACKOFF_SECONDS": "0.2",
        "SOUCHASTIE_TELEGRAM_REQUEST_TIMEOUT_SECONDS": "1", "SOUCHASTIE_WEBCHAT_ENABLED": "false"}
FIRST_CHAT = 408_300_000
TEXT = "Голосование за название парка открыто"


@pytest.fixture
async def world(tmp_path):
    fake = FakeTelegram(ceiling=CEILING, slow_seconds=3)
    await fake.start()
    try:
        async with telegram_world(tmp_path, fake, **FAST) as world:
            yield world
    finally:
        await fake.close()


async def residents(world, count: int, **fields) -> list[int]:
    chats = [FIRST_CHAT + n for n in range(count)]
    for chat in chats:
        await add_resident(world.app, channel="telegram", external_id=str(chat), **fields)
    return chats


async def broadcast(world, **audience) -> int:
    broadcast_id, _ = await create(world.app.db, BroadcastSpec(title="t", texts={"ru": TEXT},
                                                               audience=Audience(**audience)))
    return broadcast_id


async def finished(world, broadcast_id: int, timeout: float = 20):
    async def check():
        shown = await progress(world.app.db, broadcast_id)
        return shown if shown.status == "done" else None
    return await eventually(check, timeout=timeout)


def got(world, chat: int) -> int:
    return sum(1 for message in world.fake.sent_to(chat) if message.get("text") == TEXT)


def rows(world, broadcast_id: int) -> dict[str, tuple[str, int, str | None]]:
    found = stored.InFile(world.app.settings.storage.path).rows("deliveries", "external_id", "status", "attempts",
                                                                "error", broadcast_id=broadcast_id)
    return {external_id: (status, attempts, error) for external_id, status, attempts, error in found}


async def test_a_429_storm_is_waited_out_as_telegram_asks_and_everyone_gets_it_once(world):
    chats = await residents(world, 30)
    world.fake.fail("rate_limit", "sendMessage", times=3)  # "retry after 1"
    broadcast_id = await broadcast(world)
    shown = await finished(world, broadcast_id)
    assert (shown.sent, shown.failed, shown.unknown) == (30, 0, 0)
    assert all(got(world, chat) == 1 for chat in chats)
    assert len([c for c in world.fake.calls_of("sendMessage") if c.status == 429]) == 3
    assert world.fake.rate_limited == 0  # the pace itself never went over the ceiling
    # Nothing got through before the first retry_after had passed: the whole channel waited.
    sends = world.fake.calls_of("sendMessage")  # the fake stamps each of them in accepted_at
    first_sent = next(i for i, call in enumerate(sends) if call.status == 200)
    assert sends[0].status == 429 and world.fake.accepted_at[first_sent] - world.fake.accepted_at[0] >= 0.95
    retried = [r for r in rows(world, broadcast_id).values() if r[1] > 1]
    assert retried and all("retry after 1" in r[2] for r in retried if r[2])


async def test_server_errors_are_retried_and_nobody_gets_it_twice(world):
    chats = await residents(world, 20)
    world.fake.fail("server_error", "sendMessage", times=3)
    world.fake.fail("bad_gateway", "sendMessage", times=2)
    broadcast_id = await broadcast(world)
    shown = await finished(world, broadcast_id)
    assert (shown.sent, shown.failed) == (20, 0)
    assert all(got(world, chat) == 1 for chat in chats)
    assert sum(1 for r in rows(world, broadcast_id).values() if r[1] > 1) >= 1
    assert world.fake.rate_limited == 0


async def test_a_send_that_timed_out_is_recorded_as_unknown_and_not_sent_again(world):
    chats = await residents(world, 10)
    lost = chats[4]
    world.fake.fail("timeout", "sendMessage", times=1, chat_id=lost)
    broadcast_id = await broadcast(world)
    shown = await finished(world, broadcast_id)
    assert (shown.sent, shown.unknown, shown.failed) == (9, 1, 0)
    status, attempts, error = rows(world, broadcast_id)[str(lost)]
    assert status == "unknown" and attempts == 1 and "may have delivered" in error
    assert len([c for c in world.fake.calls_of("sendMessage") if c.params.get("chat_id") == lost]) == 1
    assert all(got(world, chat) == 1 for chat in chats if chat != lost)


async def test_a_resident_who_blocked_the_bot_is_marked_unreachable_and_unsubscribed(world):
    chats = await residents(world, 8, topics=("news", "episodes"))
    blocked = chats[2]
    world.fake.blocked.add(blocked)
    broadcast_id = await broadcast(world, topic="news")
    shown = await finished(world, broadcast_id)
    assert (shown.sent, shown.failed) == (7, 1)
    assert rows(world, broadcast_id)[str(blocked)][0] == "failed"
    database = stored.InFile(world.app.settings.storage.path)
    [(resident_id, reachable)] = database.rows("residents", "id", "reachable", external_id=str(blocked))
    topics = database.count("subscriptions", resident_id=resident_id)
    assert (reachable, topics) == (0, 0)
    sends_to_blocked = len([c for c in world.fake.calls_of("sendMessage") if c.params.get("chat_id") == blocked])
    assert sends_to_blocked == 1  # permanent: not retried
    later = await broadcast(world, topic="episodes")
    assert blocked not in {int(e) for e in rows(world, later)}
    assert (await finished(world, later)).sent == 7


async def test_on_vk_a_timed_out_call_is_repeated_with_its_random_id_and_nobody_gets_it_twice(tmp_path):
    from tests.drivers.vk import world as vk_world

    async with vk_world(tmp_path, SOUCHASTIE_VK_REQUEST_TIMEOUT_SECONDS="1", SOUCHASTIE_VK_REQUESTS_PER_SECOND="20",
                        SOUCHASTIE_BROADCASTS_BACKOFF_SECONDS="0.2", SOUCHASTIE_WEBCHAT_ENABLED="false") as world:
        peers = [600_000 + n for n in range(150)]
        for peer in peers:
            await add_resident(world.app, channel="vk", external_id=str(peer))
        world.fake.fail("messages.send", "timeout")  # VK takes it, the answer comes too late
        broadcast_id = await broadcast(world)
        shown = await finished(world, broadcast_id)
        assert (shown.sent, shown.unknown, shown.failed) == (150, 0, 0)
        sends = [c.params for c in world.fake.calls if c.method == "messages.send"]
        random_ids = [p["random_id"] for p in sends]
        assert len(sends) == 3 and len(set(random_ids)) == 2  # the first call, repeated as it was
        assert sorted(len(p["peer_ids"].split(",")) for p in sends) == [50, 100, 100]
        await eventually(lambda: len([m for m in world.fake.sent if m["message"] == TEXT]) >= 150)
        delivered = [m["peer_id"] for m in world.fake.sent if m["message"] == TEXT]
        assert sorted(delivered) == peers  # each once, although one call went out twice
