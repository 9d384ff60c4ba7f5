"""Residents on MAX: the real maxapi client against a fake MAX on loopback, a real SQLite file."""
from __future__ import annotations

import asyncio

import pytest
from maxapi.client.ssl import RUSSIAN_TRUSTED_CA_BUNDLE

from bot.core.channel import DeliveryError, Outgoing
from bot.core.events import ResidentRef
from bot.core.replies import Button, Reply
from channels.max.transport import ssl_context
from tests import stored
from tests.drivers import eventually
from tests.drivers.max import bot_message, world
from tests.fakes.max import FakeMax, fixture
from tests.journey import all_text, last_buttons, onboard, picture, same_picture

pytestmark = pytest.mark.both_engines  # a journey: on SQLite and on PostgreSQL (tests/conftest.py)


async def reachable(app, user_id: int) -> bool | None:
    found = await app.db.reader.residents.find("max", str(user_id))
    return found.reachable if found else None


def sends(fake: FakeMax, user_id: int) -> int:
    return sum(1 for c in fake.calls if c.path == "/messages" and c.query.get("user_id") == str(user_id))


# -- what residents send ---------------------------------------------------------------------

async def test_documented_updates_reach_the_bot_and_pressed_buttons_are_answered(tmp_path):
    async with world(tmp_path) as w:
        w.fake.push(*fixture("updates_response_bot_started.json")["updates"])
        greeting = await eventually(lambda: w.fake.sent_to(123456789))
        assert "consent:yes" in last_buttons([bot_message(m) for m in greeting])
        pressed = fixture("updates_response_message_callback.json")["updates"][0]
        w.fake.push(pressed)
        await eventually(lambda: pressed["callback"]["callback_id"] in w.fake.answered)
        w.fake.push(*fixture("updates_response_message_created.json")["updates"])  # a group chat
        w.fake.push(*fixture("updates_response_bot_stopped.json")["updates"])
        await eventually(lambda: _not(w.app, 123456789))
        # start (+ reachable), the press, the stop; not the group chat
        assert await stored.count(w.app.db, "inbox", channel="max") == 4


async def _not(app, user_id: int) -> bool:
    return await reachable(app, user_id) is False


async def test_a_photo_and_a_place_from_max_end_up_in_the_proposal(tmp_path):
    async with world(tmp_path) as w:
        resident = w.resident(1)
        await onboard(resident)
        await resident.press("menu:propose")
        await resident.send_text("Сломана скамейка у фонтана, нужна замена")
        added = await resident.send_photo(picture(80, 60))
        assert "1 из" in all_text(added)
        asks_location = [b for m in added for row in m.buttons for b in row if b.get("request") == "location"]
        assert asks_location, "the resident is offered MAX's own 'send location' button"
        review = await resident.send_location(50.0958, 118.0317)
        assert "prop:confirm" in last_buttons(review)
        await resident.press("prop:confirm")
    photos = [p for p in (tmp_path / "attachments").rglob("*") if p.is_file()]
    assert len(photos) == 1 and same_picture(photos[0].read_bytes(), picture(80, 60))


async def test_the_same_update_delivered_twice_is_answered_once(tmp_path):
    async with world(tmp_path) as w:
        resident = w.resident(2)
        await onboard(resident)
        update = resident.message("/menu")
        w.fake.push(update)
        first = await resident.deliver(update)
        assert "menu:propose" in last_buttons(first)
        w.fake.push(update)
        w.fake.push(resident.message("/help"))
        await eventually(lambda: len(w.fake.sent_to(resident.user_id)) > resident.seen)
        assert len(resident.new_messages()) == 1  # the /help menu only, not a second answer to /menu
        assert await stored.count(w.app.db, "inbox", update_id="msg:" + update["message"]["body"]["mid"]) == 1


# -- how replies look on MAX -----------------------------------------------------------------

async def test_long_replies_and_big_keyboards_fit_within_maxs_limits(tmp_path):
    async with world(tmp_path) as w:
        channel, ref = w.app.channels["max"], ResidentRef(channel="max", external_id="777")
        wide = Reply(text="Выберите", buttons=(tuple(Button(label=f"Вариант {i}", payload=f"p:{i}")
                                                     for i in range(20)),))
        mixed = Reply(text="Ссылки", buttons=((Button(label="Сайт", url="https://example.org"),
                                                *(Button(label=f"К{i}", payload=f"k:{i}") for i in range(5))),))
        tall = Reply(text="Много", buttons=tuple((Button(label=f"Р{i}", payload=f"r:{i}"),) for i in range(31)))
        long = Reply(text="Абзац. " * 1500)
        await channel.deliver(ref, [Outgoing(1, wide), Outgoing(2, mixed), Outgoing(3, tall), Outgoing(4, long)])
        shown = [bot_message(m) for m in w.fake.sent_to(777)]
    assert [len(row) for row in shown[0].buttons] == [7, 7, 6]
    assert [len(row) for row in shown[1].buttons] == [3, 3]
    # 31 one-button rows do not fit 30 rows: neighbours go side by side rather than to text.
    assert len(shown[2].buttons) <= 30 and sum(len(row) for row in shown[2].buttons) == 31
    assert len(shown) == 4 + 2 and all(len(m.text) <= 3999 for m in shown)
    assert "".join(m.text for m in shown[3:]).count("Абзац.") == 1500


# -- when MAX fails --------------------------------------------------------------------------

async def test_a_rate_limited_reply_is_sent_after_waiting(tmp_path):
    async with world(tmp_path) as w:
        resident = w.resident(3)
        w.fake.fail("POST /messages", "429", times=2)
        greeting = await resident.send_text("/start")
        assert "consent:yes" in last_buttons(greeting)
        assert sends(w.fake, resident.user_id) == len(w.fake.sent_to(resident.user_id)) + 2


async def test_a_reply_is_sent_again_after_server_errors_and_a_time_out(tmp_path):
    fake = FakeMax(slow_seconds=1.5)
    async with world(tmp_path, fake, SOUCHASTIE_MAX_REQUEST_TIMEOUT_SECONDS="0.5") as w:
        resident = w.resident(4)
        w.fake.fail("POST /messages", "5xx", times=1)
        w.fake.fail("POST /messages", "timeout", times=1)
        greeting = await resident.send_text("/start")
        assert "consent:yes" in last_buttons(greeting)
        assert sends(w.fake, resident.user_id) == len(w.fake.sent_to(resident.user_id)) + 2


async def test_an_attachment_not_ready_answer_is_waited_out(tmp_path):
    async with world(tmp_path) as w:
        resident = w.resident(5)
        w.fake.fail("POST /messages", "not_ready", times=2)
        greeting = await resident.send_text("/start")
        assert "consent:yes" in last_buttons(greeting)


async def test_polling_survives_rate_limits_outages_and_time_outs(tmp_path):
    async with world(tmp_path, FakeMax(slow_seconds=2), SOUCHASTIE_MAX_REQUEST_TIMEOUT_SECONDS="0.5") as w:
        resident = w.resident(6)
        w.fake.fail("GET /updates", "429", times=2)
        w.fake.fail("GET /updates", "5xx", times=2)
        w.fake.fail("GET /updates", "timeout", times=1)
        greeting = await resident.send_text("/start")
        assert "consent:yes" in last_buttons(greeting)


async def test_a_reply_that_keeps_failing_stays_pending_and_the_resident_stays_reachable(tmp_path):
    async with world(tmp_path, SOUCHASTIE_MAX_SEND_ATTEMPTS="2") as w:
        resident = w.resident(9)
        await onboard(resident)
        w.fake.fail("POST /messages", "5xx", times=2)
        update = resident.message("/menu")
        w.fake.push(update)
        mid = "msg:" + update["message"]["body"]["mid"]
        await eventually(lambda: sends(w.fake, resident.user_id) == len(w.fake.sent_to(resident.user_id)) + 2)
        await resident.deliver(resident.message("/help"))  # after the failed one, in order
        assert await stored.reply_statuses(w.app.db, mid) == ["pending"]
        assert await reachable(w.app, resident.user_id) is True


async def test_a_resident_who_blocked_the_bot_is_marked_unreachable(tmp_path):
    async with world(tmp_path) as w:
        resident = w.resident(7)
        await onboard(resident)
        w.fake.block(resident.user_id)
        update = resident.message("/menu")
        w.fake.push(update)
        await eventually(lambda: _not(w.app, resident.user_id))
        assert await stored.reply_statuses(w.app.db, "msg:" + update["message"]["body"]["mid"]) == ["failed"]


async def test_a_resident_who_stops_the_bot_mid_proposal_and_comes_back(tmp_path):
    async with world(tmp_path) as w:
        resident = w.resident(8)
        await onboard(resident)
        await resident.press("menu:propose")
        await resident.deliver(resident.stopped())
        assert await reachable(w.app, resident.user_id) is False
        w.fake.block(resident.user_id)
        w.fake.push(resident.callback("nav:menu"))  # a press that was on its way
        await eventually(lambda: _failed_sends(w.fake, resident.user_id))
        assert await reachable(w.app, resident.user_id) is False
        w.fake.blocked.discard(resident.user_id)
        again = await resident.send_text("/start")
        assert again and await reachable(w.app, resident.user_id) is True


def _failed_sends(fake: FakeMax, user_id: int) -> bool:
    return sends(fake, user_id) > len(fake.sent_to(user_id))


async def test_a_hundred_residents_at_once_each_get_their_own_replies(tmp_path):
    async with world(tmp_path) as w:
        residents = [w.resident(100 + i) for i in range(100)]
        greetings = await asyncio.gather(*(r.send_text(f"/start poster_{i}") for i, r in enumerate(residents)))
        assert all("consent:yes" in last_buttons(g) for g in greetings)
        consents = await asyncio.gather(*(r.press("consent:yes") for r in residents))
        assert all("menu:propose" in last_buttons(c) for c in consents)  # MAX reports the language: not asked
        sources = dict(await stored.rows(w.app.db, "residents", "external_id", "first_source", channel="max"))
        assert sources == {str(r.user_id): f"poster_{i}" for i, r in enumerate(residents)}
        per_resident = {len(w.fake.sent_to(r.user_id)) for r in residents}
        assert len(per_resident) == 1 and len(w.fake.sent) == 100 * per_resident.pop()


async def test_a_refused_token_marks_no_resident_unreachable(tmp_path):
    async with world(tmp_path, SOUCHASTIE_MAX_TOKEN="not-the-token") as w:
        try:
            await w.app.channels["max"].deliver(ResidentRef(channel="max", external_id="779"),
                                                [Outgoing(1, Reply(text="Привет"))])
        except DeliveryError as error:
            assert not error.permanent and "token" in str(error)
        else:
            raise AssertionError("the send should have been refused")
        assert w.fake.sent == []


def test_the_russian_national_ca_is_trusted_for_max_by_default_and_a_bundle_can_be_given():
    def subjects(context) -> str:
        return str([cert["subject"] for cert in context.get_ca_certs()])
    assert "Russian Trusted Root CA" in subjects(ssl_context(""))
    assert "Russian Trusted Root CA" in subjects(ssl_context(str(RUSSIAN_TRUSTED_CA_BUNDLE)))
