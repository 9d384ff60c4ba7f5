"""The generic gateway end to end: the bot behind the real HTTP server, a fake gateway on
loopback that receives the replies and checks their signatures, and real SQLite."""
from __future__ import annotations

import asyncio
import json

import pytest

from bot.core.events import ResidentRef
from bot.core.replies import Button, Reply
from channels.gateway.protocol import SIGNATURE_HEADER, sign
from tests import stored
from tests.drivers import eventually, wait_handled
from tests.drivers.gateway import CHANNEL, world as gateway_world
from tests.fakes.gateway import FakeGateway
from tests.journey import last_buttons, onboard


@pytest.fixture
async def world(tmp_path):
    async with gateway_world(tmp_path, SOUCHASTIE_GATEWAY_REQUEST_TIMEOUT_SECONDS="1") as running:
        yield running


async def inbox_count(world) -> int:
    return await stored.count(world.app.db, "inbox", channel=CHANNEL)


async def reachable(world, resident) -> bool:
    return (await world.app.db.reader.residents.find(CHANNEL, resident.user_id)).reachable


async def test_a_resident_gets_signed_replies_with_buttons_and_a_numbered_fallback(world):
    resident = world.resident(1)
    greeting = await resident.send_text("/start poster_3")
    assert "consent:yes" in last_buttons(greeting)
    sent = world.fake.sent_to(resident.user_id)[-1]
    assert sent["version"] == 1 and sent["id"].startswith("reply-")
    assert {"label", "payload"} <= set(sent["buttons"][0][0])
    labels = [b["label"] for row in sent["buttons"] for b in row if "payload" in b]
    assert all(f"{n}. {label}" in sent["fallback_text"] for n, label in enumerate(labels, 1))
    assert world.fake.refused_signatures == 0


async def test_events_with_a_forged_or_missing_signature_are_refused_and_not_stored(world):
    resident = world.resident(3)
    event = resident.event(text="/start")
    status, answer = await resident.post(event, secret="not the shared key at all")
    assert (status, answer["error"]) == (401, "bad_signature")
    status, _ = await resident.post(event, headers={"Content-Type": "application/json"})
    assert status == 401
    body = json.dumps(event).encode()
    tampered = body.replace(b"/start", b"/stop!")
    async with world.http.post(world.inbound_url, data=tampered,
                               headers={SIGNATURE_HEADER: sign(world.fake.secret, body)}) as response:
        assert response.status == 401
    assert await inbox_count(world) == 0
    assert world.fake.sent_to(resident.user_id) == []


async def test_malformed_events_get_a_4xx_with_a_reason_and_are_kept_only_as_dead_letters(world):
    secret = world.fake.secret
    for body, status in ((b"not json", 400), (b'{"id": "1", "user": {"id": "u"}}', 422), (b"[]", 422)):
        async with world.http.post(world.inbound_url, data=body,
                                   headers={SIGNATURE_HEADER: sign(secret, body)}) as response:
            assert response.status == status
            assert (await response.json())["reason"]
    assert await inbox_count(world) == 3
    assert await stored.count(world.app.db, "inbox", dead_at=None) == 0


async def test_an_event_id_used_again_for_another_event_is_refused_with_409_even_after_a_restart(tmp_path):
    fake = await FakeGateway().start()
    try:
        async with gateway_world(tmp_path, fake=fake) as world:
            resident = world.resident(11)
            event = resident.event(text="/start")
            greeting = await resident.act(event)
            assert "consent:yes" in last_buttons(greeting)
            reordered = dict(reversed(list(event.items())))  # the same event, its keys in another order
            status, answer = await resident.post(reordered)
            assert (status, answer["duplicate"]) == (200, True)
            status, answer = await resident.post({**event, "text": "/about"})
            assert (status, answer["error"]) == (409, "id_reused") and event["id"] in answer["reason"]
        async with gateway_world(tmp_path, fake=fake) as world:
            resident = world.resident(11)
            status, answer = await resident.post({**event, "text": "/privacy"})
            assert (status, answer["error"]) == (409, "id_reused")
            status, answer = await resident.post(event)
            assert (status, answer["duplicate"]) == (200, True)
            assert await inbox_count(world) == 1
            assert resident.new_messages() == greeting
    finally:
        await fake.close()


async def test_the_same_event_sent_twice_is_processed_once(world):
    resident = world.resident(4)
    event = resident.event(text="/start")
    first = await resident.post(event)
    second = await resident.post(event)
    assert (first[0], first[1]["duplicate"]) == (200, False)
    assert (second[0], second[1]["duplicate"]) == (200, True)
    await wait_handled(world.app, CHANNEL, event["id"])
    assert await inbox_count(world) == 1
    outbox = await stored.count(world.app.db, "outbox")
    assert len(resident.new_messages()) == outbox


async def test_a_reply_refused_with_429_is_sent_after_the_wait(world):
    resident = world.resident(5)
    world.fake.fail("rate_limit", resident.user_id, times=2)
    assert "consent:yes" in last_buttons(await resident.send_text("/start"))


async def test_a_reply_refused_with_5xx_is_retried(world):
    resident = world.resident(6)
    world.fake.fail("server_error", resident.user_id, times=2)
    assert "consent:yes" in last_buttons(await resident.send_text("/start"))


async def test_a_reply_whose_answer_timed_out_is_retried_and_shown_once(world):
    resident = world.resident(7)
    world.fake.fail("timeout", resident.user_id)
    replies = await resident.send_text("/start")
    assert "consent:yes" in last_buttons(replies)
    assert len({m["id"] for m in world.fake.sent_to(resident.user_id)}) == len(replies)
    assert world.fake.repeats == 1


async def test_a_resident_who_blocks_the_bot_mid_flow_is_marked_unreachable(world):
    resident = world.resident(8)
    await onboard(resident)
    world.fake.fail("blocked", resident.user_id)
    await resident.press("menu:about")
    await eventually(lambda: _unreachable(world, resident))


async def _unreachable(world, resident) -> bool:
    return not await reachable(world, resident)


async def test_the_gateway_telling_of_a_block_marks_the_resident_unreachable(world):
    resident = world.resident(9)
    await resident.send_text("/start")
    await resident.act(resident.event(reachable=False))
    assert not await reachable(world, resident)


async def test_a_hundred_residents_at_once_each_get_their_own_replies(world):
    residents = [world.resident(100 + n) for n in range(100)]
    answers = await asyncio.gather(*(r.send_text(f"/start poster_{n}") for n, r in enumerate(residents)))
    for resident, replies in zip(residents, answers):
        assert "consent:yes" in last_buttons(replies)
        assert all(m["user"]["id"] == resident.user_id for m in world.fake.sent_to(resident.user_id))
    assert world.fake.refused_signatures == 0


async def test_broadcast_sends_are_one_attempt_with_the_gateways_answer_mapped(world):
    channel = world.app.channels[CHANNEL]
    assert channel.throughput().idempotent
    news = Reply(text="Вышла третья серия", buttons=((Button(label="Смотреть", url="https://example.org/3"),),))
    ok, slow, full, gone, wrong = (ResidentRef(channel=CHANNEL, external_id=f"b{n}") for n in range(5))
    world.fake.fail("server_error", slow.external_id)
    world.fake.fail("rate_limit", full.external_id)
    world.fake.fail("blocked", gone.external_id)
    world.fake.fail("bad_request", wrong.external_id)
    failures = await channel.send_once([ok, slow, full, gone, wrong], news, "d1")
    assert set(failures) == {slow, full, gone, wrong}
    assert not failures[slow].permanent and failures[full].retry_after == 0.1
    assert failures[gone].permanent and failures[wrong].permanent
    assert world.fake.sent_to("b0")[0]["buttons"] == [[{"label": "Смотреть", "url": "https://example.org/3"}]]
    assert await channel.send_once([slow], news, "d1") == {}


async def test_an_event_over_the_size_limit_is_refused_with_413(world):
    body = json.dumps(world.resident(10).event(text="x" * (world.app.settings.gateway.max_body_bytes + 1))).encode()
    async with world.http.post(world.inbound_url, data=body,
                               headers={SIGNATURE_HEADER: sign(world.fake.secret, body)}) as response:
        assert response.status == 413
    assert await inbox_count(world) == 0


def test_an_enabled_gateway_without_its_key_or_url_stops_the_bot_with_a_reason(tmp_path):
    from bot.config import ConfigError, check_runnable
    from tests.drivers import test_settings
    with pytest.raises(ConfigError, match="SOUCHASTIE_GATEWAY_SECRET"):
        check_runnable(test_settings(tmp_path, SOUCHASTIE_GATEWAY_ENABLED="true",
                                     SOUCHASTIE_GATEWAY_OUTBOUND_URL="http://x/"))
    with pytest.raises(ConfigError, match="outbound_url"):
        check_runnable(test_settings(tmp_path, SOUCHASTIE_GATEWAY_ENABLED="true", SOUCHASTIE_GATEWAY_SECRET="k" * 32))
    with pytest.raises(ConfigError, match="не короче 16 знаков"):
        test_settings(tmp_path, SOUCHASTIE_GATEWAY_SECRET="short")
