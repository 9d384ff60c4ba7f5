"""Telegram as residents meet it: the real aiogram client against a fake Bot API on loopback."""
from __future__ import annotations

import asyncio

import pytest

from bot.config import ConfigError, check_runnable, load_settings
from bot.core.channel import Outgoing
from bot.core.events import ResidentRef
from bot.core.replies import Button, Media, Reply
from tests import stored
from tests.drivers import eventually, wait_handled
from tests.drivers.telegram import CHANNEL, world as telegram_world
from tests.fakes.telegram import FakeTelegram, fixture
from tests.journey import JPEG, all_text, last_buttons, onboard, same_picture

pytestmark = pytest.mark.both_engines  # a journey: on SQLite and on PostgreSQL (tests/conftest.py)


@pytest.fixture
async def world(tmp_path):
    async with telegram_world(tmp_path) as running:
        yield running


async def reachable(world, resident) -> bool:
    return (await world.app.db.reader.residents.find(CHANNEL, str(resident.user_id))).reachable


async def statuses(world, resident) -> list[str]:
    return await stored.values(world.app.db, "outbox", "status", order_by="id", external_id=str(resident.user_id))


async def test_polling_asks_for_the_updates_the_bot_handles_and_removes_a_stale_webhook(world):
    await eventually(lambda: world.fake.calls_of("getUpdates"))
    assert world.fake.calls[0].method == "deletewebhook"
    assert world.fake.calls[0].params.get("drop_pending_updates") in (None, "false", False)
    polls = world.fake.calls_of("getUpdates")
    assert polls[0].params["allowed_updates"] == ["message", "callback_query", "my_chat_member"]


async def test_every_button_press_is_answered_so_the_button_stops_spinning(world):
    resident = world.resident()
    await resident.send_text("/start")
    await resident.press("consent:yes")
    await resident.press("no-such:button")
    answered = await eventually(lambda: len(world.fake.calls_of("answerCallbackQuery")) == 2 and
                                world.fake.calls_of("answerCallbackQuery"))
    assert all(call.status == 200 for call in answered)


async def test_the_photo_stored_is_the_largest_size_fetched_through_getfile(world):
    resident = world.resident()
    await onboard(resident)
    await resident.press("menu:propose")
    await resident.send_text("Поставить скамейки у пруда")
    added = await resident.send_photo(JPEG)
    assert "prop:confirm" in last_buttons(added)
    fetched = world.fake.calls_of("file")
    assert len(fetched) == 1
    stored = list((world.app.settings.storage.attachments_dir).rglob("*.jpg"))
    assert len(stored) == 1 and same_picture(stored[0].read_bytes(), JPEG)  # the preview is no picture at all


async def test_location_is_asked_with_a_reply_keyboard_and_other_choices_stay_inline(world):
    resident = world.resident()
    await onboard(resident)
    await resident.press("menu:propose")
    draft = await resident.send_text("Поставить скамейки у пруда")
    # The draft's photo button is inline here (Telegram opens no picker for a bot): its press says how.
    assert {"prop:photo", "prop:category", "prop:confirm"} <= set(last_buttons(draft)), all_text(draft)
    asking = [m for m in draft if m.requests()]
    assert [m.requests() for m in asking] == [["location"]]
    markup = world.fake.sent_to(resident.chat_id)[-1]["reply_markup"]
    assert markup["one_time_keyboard"] is True and markup["resize_keyboard"] is True
    review = await resident.send_location(50.0958, 118.0317)
    assert "prop:confirm" in last_buttons(review) and "точка на карте" in all_text(review), all_text(review)


async def test_a_reply_over_4096_characters_arrives_in_parts_with_its_buttons_last(world):
    resident = world.resident()
    text = "\n\n".join(f"Абзац {n}: " + "слово " * 150 for n in range(12))
    reply = Reply(text=text, buttons=((Button(label="Дальше", payload="prop:next"),),))
    ref = ResidentRef(channel=CHANNEL, external_id=str(resident.user_id))
    await world.app.channels[CHANNEL].deliver(ref, [Outgoing(1, reply)])
    parts = resident.new_messages()
    assert len(parts) > 1 and all(len(p.text) <= 4096 for p in parts)
    def letters(value: str) -> str:
        return value.replace("\n", "").replace(" ", "")
    assert letters("".join(p.text for p in parts)) == letters(text)
    assert [p.payloads for p in parts] == [[]] * (len(parts) - 1) + [["prop:next"]]


async def test_what_a_resident_wrote_is_shown_as_written_even_with_markup_characters(world):
    resident = world.resident()
    await onboard(resident)
    await resident.press("menu:propose")
    written = "Скамейки <b>у пруда</b> & фонарь <без тегов>"
    review = await resident.send_text(written)
    assert written in all_text(review)
    assert all("parse_mode" not in call.params for call in world.fake.calls_of("sendMessage"))


async def test_a_rate_limit_is_waited_out_and_the_reply_then_delivered(world):
    resident = world.resident()
    world.fake.fail("rate_limit", "sendMessage", times=1, chat_id=resident.chat_id)
    greeting = await resident.send_text("/start")
    assert "consent:yes" in last_buttons(greeting)
    assert [c.status for c in world.fake.calls_of("sendMessage")] == [429] + [200] * len(greeting)
    assert await reachable(world, resident)


async def test_a_rate_limit_longer_than_the_setting_leaves_the_reply_for_later(world):
    resident = world.resident()
    world.fake.fail("rate_limit_long", "sendMessage", times=1)
    await resident.push(resident.message(text="/start"))
    await eventually(lambda: world.fake.calls_of("sendMessage"))
    await world.app.dispatcher.drain(10)
    assert set(await statuses(world, resident)) == {"pending"} and await reachable(world, resident)
    assert len(world.fake.calls_of("sendMessage")) == 1


@pytest.mark.parametrize("fault", ["server_error", "bad_gateway"])
async def test_telegram_server_errors_are_retried_and_the_reply_delivered(world, fault):
    resident = world.resident()
    world.fake.fail(fault, "sendMessage", times=2)
    greeting = await resident.send_text("/start")
    assert "consent:yes" in last_buttons(greeting)
    assert [c.status for c in world.fake.calls_of("sendMessage")][2:] == [200] * len(greeting)


async def test_a_reply_telegram_keeps_failing_is_kept_and_sent_after_a_restart(tmp_path):
    fake = await FakeTelegram().start()
    try:
        async with telegram_world(tmp_path, fake=fake) as first:
            resident = first.resident()
            fake.fail("server_error", "sendMessage", times=4)
            await resident.push(resident.message(text="/start"))
            await eventually(lambda: len(fake.calls_of("sendMessage")) == 4)
            await first.app.dispatcher.drain(10)
            assert set(await statuses(first, resident)) == {"pending"} and await reachable(first, resident)
        async with telegram_world(tmp_path, fake=fake) as second:
            greeting = await eventually(lambda: resident.new_messages())
            assert "consent:yes" in last_buttons(greeting)
            assert set(await statuses(second, resident)) == {"sent"}
    finally:
        await fake.close()


async def test_a_send_slower_than_the_timeout_is_tried_again(tmp_path):
    async with telegram_world(tmp_path, SOUCHASTIE_TELEGRAM_REQUEST_TIMEOUT_SECONDS="1.5") as world:
        world.fake.slow_seconds = 4
        resident = world.resident()
        world.fake.fail("timeout", "sendMessage", times=1)
        greeting = await resident.send_text("/start")
        assert "consent:yes" in last_buttons(greeting)
        assert world.fake.calls_of("sendMessage")[0].status == 0


async def test_a_resident_who_blocked_the_bot_is_marked_unreachable(world):
    resident = world.resident()
    world.fake.blocked.add(resident.chat_id)
    await resident.push(resident.message(text="/start"))
    await eventually(lambda: statuses(world, resident))
    await eventually(lambda: _unreachable(world, resident))
    assert set(await statuses(world, resident)) == {"failed"}
    assert [c.status for c in world.fake.calls_of("sendMessage")] == [403]


async def _unreachable(world, resident) -> bool:
    found = await world.app.db.reader.residents.find(CHANNEL, str(resident.user_id))
    return found is not None and not found.reachable


async def test_a_resident_who_blocks_mid_flow_and_comes_back_can_go_on(world):
    resident = world.resident()
    await onboard(resident)
    world.fake.blocked.add(resident.chat_id)
    await resident.push({"callback_query": {"id": "q1", "from": resident.user, "chat_instance": "1",
                                            "data": "menu:propose"}})
    await eventually(lambda: _unreachable(world, resident))
    kicked = fixture("update_my_chat_member_kicked_private.json")
    del kicked["update_id"]
    member = kicked["my_chat_member"]
    member["chat"]["id"] = member["from"]["id"] = resident.user_id
    update_id = await resident.push(kicked)
    await wait_handled(world.app, CHANNEL, str(update_id))
    assert not await reachable(world, resident)

    world.fake.blocked.discard(resident.chat_id)
    member["old_chat_member"]["status"], member["new_chat_member"]["status"] = "kicked", "member"
    update_id = await resident.push(kicked)
    await wait_handled(world.app, CHANNEL, str(update_id))
    assert await reachable(world, resident)
    resident.new_messages()
    asked = await resident.press("menu:propose")  # already in the proposal, from the press it missed
    assert "nav:cancel" in last_buttons(asked) and "Опишите вашу идею" in all_text(asked), all_text(asked)


async def test_the_same_update_delivered_twice_is_processed_once(world):
    resident = world.resident()
    update = {"update_id": world.fake.next_update_id(), **resident.message(text="/start poster_3")}
    async with world.fake._changed:
        world.fake.queue.extend([update, dict(update)])
        world.fake._changed.notify_all()
    await wait_handled(world.app, CHANNEL, str(update["update_id"]))
    assert await stored.count(world.app.db, "inbox") == 1
    answered_once = resident.new_messages()
    # A /start sent once more is answered with as many messages: the repeat added none.
    assert len(await resident.send_text("/start poster_3")) == len(answered_once)


async def test_a_hundred_residents_at_once_each_get_their_own_answer(world):
    residents = [world.resident(n) for n in range(100)]
    greetings = await asyncio.gather(*(r.send_text(f"/start poster_{n}") for n, r in enumerate(residents)))
    assert all("consent:yes" in last_buttons(g) for g in greetings)
    assert len({all_text(g) for g in greetings}) == 1
    sources = dict(await stored.rows(world.app.db, "residents", "external_id", "first_source"))
    assert sources == {str(r.user_id): f"poster_{n}" for n, r in enumerate(residents)}
    assert set(world.fake.messages) == {r.chat_id for r in residents}


async def test_link_and_phone_buttons_show_as_a_link_and_a_share_my_phone_keyboard(world):
    resident = world.resident()
    reply = Reply(text="Оставьте телефон, если хотите, чтобы вам перезвонили",
                  buttons=((Button(label="📞 Отправить мой номер", request="contact"),),
                           (Button(label="Госуслуги", url="https://www.gosuslugi.ru/10091/1"),
                            Button(label="Пропустить", payload="prop:skip"))))
    ref = ResidentRef(channel=CHANNEL, external_id=str(resident.user_id))
    await world.app.channels[CHANNEL].deliver(ref, [Outgoing(1, reply)])
    prompt, keyboard = world.fake.sent_to(resident.chat_id)
    assert prompt["text"] == reply.text
    assert prompt["reply_markup"] == {"inline_keyboard": [[
        {"text": "Госуслуги", "url": "https://www.gosuslugi.ru/10091/1"},
        {"text": "Пропустить", "callback_data": "prop:skip"}]]}
    assert keyboard["text"] == "📞 Отправить мой номер"
    assert keyboard["reply_markup"]["keyboard"] == [[{"text": "📞 Отправить мой номер", "request_contact": True}]]


async def test_polling_goes_on_after_a_telegram_outage(tmp_path):
    async with telegram_world(tmp_path, SOUCHASTIE_TELEGRAM_POLL_TIMEOUT_SECONDS="1") as world:
        world.fake.fail("server_error", "getUpdates", times=2)
        world.fake.fail("bad_gateway", "getUpdates", times=1)
        await eventually(lambda: [c.status for c in world.fake.calls_of("getUpdates")][-3:] == [500, 500, 502])
        greeting = await world.resident().send_text("/start")
        assert "consent:yes" in last_buttons(greeting)


def test_a_missing_or_mistyped_token_is_refused_with_its_variable_named():
    with pytest.raises(ConfigError, match="не задано: SOUCHASTIE_TELEGRAM_TOKEN"):
        check_runnable(load_settings(None, {"SOUCHASTIE_TELEGRAM_ENABLED": "true"}))
    with pytest.raises(ConfigError, match="SOUCHASTIE_TELEGRAM_TOKEN выглядит как"):
        load_settings(None, {"SOUCHASTIE_TELEGRAM_TOKEN": "AAE-only-the-secret-part"})


def test_webhook_mode_without_a_secret_is_refused_at_start():
    with pytest.raises(ConfigError, match="SOUCHASTIE_TELEGRAM_WEBHOOK_SECRET"):
        check_runnable(load_settings(None, {"SOUCHASTIE_TELEGRAM_TOKEN": "123:abc",
                                            "SOUCHASTIE_TELEGRAM_MODE": "webhook"}))
    with pytest.raises(ConfigError, match="webhook_secret"):
        load_settings(None, {"SOUCHASTIE_TELEGRAM_TOKEN": "123:abc", "SOUCHASTIE_TELEGRAM_MODE": "webhook",
                             "SOUCHASTIE_TELEGRAM_WEBHOOK_SECRET": "with spaces"})


async def test_a_stored_photo_in_a_reply_is_uploaded_before_its_text(world):
    resident = world.resident()
    key, _ = await world.app.dispatcher.attachments.put_image(JPEG)
    reply = Reply(text="Так выглядит проект парка", media=(Media(kind="photo", file_key=key),))
    ref = ResidentRef(channel=CHANNEL, external_id=str(resident.user_id))
    await world.app.channels[CHANNEL].deliver(ref, [Outgoing(1, reply)])
    assert [c.method for c in world.fake.calls if c.method.startswith("send")] == ["sendphoto", "sendmessage"]
    stored = world.app.dispatcher.attachments.path_of(key).read_bytes()
    assert world.fake.calls_of("sendPhoto")[0].params["photo"] == stored
