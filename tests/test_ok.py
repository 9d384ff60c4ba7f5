"""OK as residents meet it: the channel's own aiohttp calls against a fake OK API on loopback."""
from __future__ import annotations

import asyncio

import pytest

from bot.core.channel import Outgoing
from bot.core.events import ResidentRef
from bot.core.replies import Button, Reply
from channels.ok.channel import OkChannel
from tests import stored
from tests.drivers import eventually
from tests.drivers.ok import world as ok_world
from tests.fakes.ok import FakeOk
from tests.journey import all_text, last_buttons, onboard


@pytest.fixture
async def world(tmp_path):
    async with ok_world(tmp_path) as running:
        yield running


async def reachable(world, resident) -> bool | None:
    found = await world.app.db.reader.residents.find("ok", resident.chat_id)
    return found.reachable if found else None


async def statuses(world, resident) -> list[str]:
    return await stored.values(world.app.db, "outbox", "status", order_by="id", external_id=resident.chat_id)


def keyboard_of(sent: dict) -> list[list[dict]]:
    boards = [a for a in sent.get("attachments", []) if a["type"] == "INLINE_KEYBOARD"]
    return boards[0]["payload"]["keyboard"]["buttons"] if boards else []


async def test_replies_carry_an_inline_keyboard_within_oks_limits(world):
    resident = world.resident()
    await resident.send_text("/start")
    for sent in world.fake.sent_to(resident.chat_id):
        rows = keyboard_of(sent)
        assert len(rows) <= 30 and all(len(row) <= 7 for row in rows)
        assert all(len(b["text"]) <= 128 and b["type"] in {"CALLBACK", "LINK", "REQUEST_GEO_LOCATION",
                                                          "REQUEST_CONTACT"} for row in rows for b in row)
        assert sent.get("text")


async def test_a_reply_over_4000_characters_arrives_in_parts_with_its_buttons_last(world):
    resident = world.resident()
    reply = Reply(text="слово " * 1500, buttons=((Button(label="Дальше", payload="menu:main"),),))
    await world.app.channels["ok"].deliver(ResidentRef(channel="ok", external_id=resident.chat_id),
                                           [Outgoing(1, reply)])
    sent = world.fake.sent_to(resident.chat_id)
    assert len(sent) == 3 and all(len(m["text"]) <= 4000 for m in sent)
    assert [bool(keyboard_of(m)) for m in sent] == [False, False, True]


async def test_a_rate_limit_is_waited_out_and_the_reply_then_delivered(world):
    resident = world.resident()
    world.fake.fail("rate_limit")
    greeting = await resident.send_text("/start")
    assert "consent:yes" in last_buttons(greeting)
    assert len(world.fake.sends()) == len(greeting) + 1
    assert await reachable(world, resident)


@pytest.mark.parametrize("fault", ["server_error", "system"])
async def test_ok_server_errors_are_retried_and_the_reply_delivered(world, fault):
    resident = world.resident()
    world.fake.fail(fault, times=2)
    greeting = await resident.send_text("/start")
    assert "consent:yes" in last_buttons(greeting)
    assert len(world.fake.sends()) == len(greeting) + 2


async def test_a_send_slower_than_the_timeout_is_tried_again(tmp_path):
    async with ok_world(tmp_path, SOUCHASTIE_OK_REQUEST_TIMEOUT_SECONDS="1") as world:
        world.fake.slow_seconds = 3
        resident = world.resident()
        world.fake.fail("slow")
        greeting = await resident.send_text("/start")
        assert "consent:yes" in last_buttons(greeting)
        assert len(world.fake.sends()) == len(greeting) + 1


async def test_a_reply_ok_keeps_failing_is_kept_and_sent_after_a_restart(tmp_path):
    fake = await FakeOk().start()
    try:
        async with ok_world(tmp_path, fake=fake) as first:
            resident = first.resident()
            fake.fail("server_error", times=4)
            await fake.post(resident.message(text="/start"))
            await eventually(lambda: len(fake.sends()) == 4)
            await first.app.dispatcher.drain(10)
            assert set(await statuses(first, resident)) == {"pending"} and await reachable(first, resident)
        async with ok_world(tmp_path, fake=fake) as second:
            greeting = await eventually(lambda: resident.new_messages())
            assert "consent:yes" in last_buttons(greeting)
            assert set(await statuses(second, resident)) == {"sent"}
    finally:
        await fake.close()


async def _unreachable(world, resident) -> bool:
    return await reachable(world, resident) is False


async def test_a_resident_who_does_not_accept_the_groups_messages_is_marked_unreachable(world):
    resident = world.resident()
    world.fake.blocked.add(resident.chat_id)
    await world.fake.post(resident.message(text="/start"))
    await eventually(lambda: _unreachable(world, resident))
    assert set(await statuses(world, resident)) == {"failed"}
    assert len(world.fake.sends()) == 1


async def test_a_resident_who_blocks_mid_flow_and_comes_back_can_go_on(world):
    resident = world.resident()
    await onboard(resident)
    world.fake.blocked.add(resident.chat_id)
    await world.fake.post(resident.webhook("MESSAGE_CALLBACK", callbackId="cb-1", payload="menu:propose"))
    await eventually(lambda: _unreachable(world, resident))
    world.fake.blocked.discard(resident.chat_id)
    resident.new_messages()
    asked = await resident.press("menu:propose")  # already in the proposal, from the press it missed
    assert "nav:cancel" in last_buttons(asked) and "Опишите вашу идею" in all_text(asked), all_text(asked)


async def test_a_hundred_residents_at_once_each_get_their_own_answer(world):
    residents = [world.resident(n) for n in range(100)]
    greetings = await asyncio.gather(*(r.send_text(f"/start poster_{n}") for n, r in enumerate(residents)))
    assert all("consent:yes" in last_buttons(g) for g in greetings)
    assert len({all_text(g) for g in greetings}) == 1
    sources = dict(await stored.rows(world.app.db, "residents", "external_id", "first_source"))
    assert sources == {r.chat_id: f"poster_{n}" for n, r in enumerate(residents)}
    assert set(world.fake.messages) == {r.chat_id for r in residents}


async def test_a_broadcast_attempt_reports_each_residents_outcome_without_retrying(world):
    channel: OkChannel = world.app.channels["ok"]
    assert channel.throughput().calls_per_second == world.app.settings.ok.requests_per_second
    refs = [ResidentRef(channel="ok", external_id=world.resident(n).chat_id) for n in range(4)]
    world.fake.blocked.add(refs[1].external_id)
    news = Reply(text="Вышла третья серия", buttons=((Button(label="Смотреть", url="https://example.org/3"),),))
    failures = await channel.send_once(refs, news, "b1")
    assert set(failures) == {refs[1]} and failures[refs[1]].permanent
    assert all(world.fake.sent_to(r.external_id) for r in (refs[0], refs[2], refs[3]))
    assert keyboard_of(world.fake.sent_to(refs[0].external_id)[0])[0][0]["url"] == "https://example.org/3"
    world.fake.fail("rate_limit")
    world.fake.fail("server_error")
    failures = await channel.send_once([refs[0], refs[2]], news, "b2")
    assert failures[refs[0]].retry_after and not failures[refs[0]].permanent
    assert not failures[refs[2]].permanent and not failures[refs[2]].unknown


async def test_a_broadcast_send_that_times_out_is_unknown_and_not_repeated(tmp_path):
    async with ok_world(tmp_path, SOUCHASTIE_OK_REQUEST_TIMEOUT_SECONDS="1") as world:
        world.fake.slow_seconds = 3
        world.fake.fail("slow")
        ref = ResidentRef(channel="ok", external_id=world.resident(1).chat_id)
        failures = await world.app.channels["ok"].send_once([ref], Reply(text="Новости"), "b3")
        assert failures[ref].unknown
        assert len(world.fake.sends()) == 1


async def test_sends_over_oks_ceiling_are_refused_and_waited_out(tmp_path):
    async with ok_world(tmp_path, SOUCHASTIE_OK_RATE_LIMIT_PAUSE_SECONDS="1.0") as world:
        world.fake.ceiling = 5
        residents = [world.resident(n) for n in range(8)]
        greetings = await asyncio.gather(*(r.send_text("/start") for r in residents))
        assert all("consent:yes" in last_buttons(g) for g in greetings)
        assert world.fake.rate_limited > 0
