"""OK's webhooks: what each documented shape becomes, and that only OK's networks are heard."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.events import Kind
from channels.ok.parse import NotAWebhook, parse_webhook, update_id
from tests import stored
from tests.drivers import wait_handled
from tests.drivers.ok import CHANNEL, world as ok_world
from tests.fakes.ok import fixture
from tests.journey import JPEG, last_buttons, onboard, same_picture


@pytest.fixture
async def world(tmp_path):
    async with ok_world(tmp_path) as running:
        yield running


async def inbox_size(world) -> int:
    return await stored.count(world.app.db, "inbox")


def test_a_text_message_is_text_from_the_dialogue_with_the_sender_named():
    event = parse_webhook(fixture("webhook_message_text.json"))
    assert event.kind == Kind.TEXT and event.text.startswith("Здравствуйте")
    assert event.ref.external_id == "chat:C3ecb9d02a600" and event.display_name == "Иван Петров"
    assert event.update_id == "mid:mid.000001771aa4b9020e7b1c0d6f2a0001"


def test_a_typed_command_with_a_source_is_a_start_command():
    webhook = fixture("webhook_message_text.json")
    webhook["message"]["text"] = "/start poster_7"
    event = parse_webhook(webhook)
    assert (event.kind, event.command, event.argument) == (Kind.COMMAND, "start", "poster_7")


def test_a_photo_is_fetched_later_by_its_url():
    event = parse_webhook(fixture("webhook_message_image.json"))
    assert event.kind == Kind.PHOTOS
    assert event.photos[0].remote_id.startswith("https://i.mycdn.me/")


def test_a_shared_location_is_a_location():
    event = parse_webhook(fixture("webhook_message_location.json"))
    assert event.kind == Kind.LOCATION
    assert (event.location.latitude, event.location.longitude) == (50.0958, 118.0317)


def test_a_button_press_carries_its_payload_and_is_known_by_its_callback_id():
    event = parse_webhook(fixture("webhook_callback.json"))
    assert (event.kind, event.payload) == (Kind.BUTTON, "consent:yes")
    assert event.update_id == "callback:cb.575662066926.1563282214000.3"


def test_chat_notices_nobody_wrote_are_not_stored_and_others_are_unsupported():
    assert parse_webhook(fixture("webhook_chat_system.json")) is not None  # a person did it
    notice = fixture("webhook_chat_system.json")
    del notice["sender"]
    assert parse_webhook(notice) is None
    sticker = fixture("webhook_message_text.json")
    sticker["message"] = {"mid": "mid.1", "attachments": [{"type": "STICKER", "payload": {"code": "x"}}]}
    assert parse_webhook(sticker).kind == Kind.UNSUPPORTED


def test_the_same_webhook_again_has_the_same_update_id():
    for name in ("webhook_message_text.json", "webhook_callback.json", "webhook_chat_system.json"):
        assert update_id(fixture(name)) == update_id(fixture(name))
    with pytest.raises(NotAWebhook):
        parse_webhook({"message": {"text": "no type"}})


async def test_the_bot_subscribes_its_webhook_and_residents_are_served(world):
    assert world.fake.subscriptions == [f"{world.app.settings.server.public_url}/webhook/ok"]
    menu = await onboard(world.resident(1), source="poster_5")
    assert "menu:propose" in last_buttons(menu)
    assert set(world.fake.webhook_answers) == {200}


async def test_the_photo_stored_is_the_one_at_the_attachment_url(world):
    resident = world.resident(2)
    await onboard(resident)
    await resident.press("menu:propose")
    await resident.send_text("Поставить скамейки у пруда и фонарь")
    await resident.send_photo(JPEG)
    root = world.app.settings.storage.attachments_dir
    stored = [p.read_bytes() for p in Path(root).rglob("*") if p.is_file()]
    assert len(stored) == 1 and same_picture(stored[0], JPEG)


@pytest.mark.parametrize("source", ["127.0.0.2", "127.0.0.3"])
async def test_a_webhook_from_outside_oks_networks_is_refused_and_nothing_stored(world, source):
    resident = world.resident(3)
    assert await world.fake.post(resident.message(text="/start"), source=source) == 403
    assert await inbox_size(world) == 0
    assert world.fake.sends() == []


async def test_a_forwarded_for_header_from_a_stranger_is_not_believed(world):
    resident = world.resident(4)
    status = await world.fake.post(resident.message(text="/start"), source="127.0.0.2",
                                   headers={"X-Forwarded-For": "127.0.0.1"})
    assert status == 403 and await inbox_size(world) == 0


async def test_behind_a_trusted_proxy_the_address_it_saw_counts(tmp_path):
    async with ok_world(tmp_path, SOUCHASTIE_OK_TRUSTED_PROXIES="[127.0.0.2/32]",
                        SOUCHASTIE_OK_ALLOWED_NETWORKS="[10.20.0.0/16]") as world:
        resident = world.resident(5)
        forged = await world.fake.post(resident.message(text="/start"), source="127.0.0.2",
                                       headers={"X-Forwarded-For": "10.20.1.1, 192.0.2.9"})
        assert forged == 403 and await inbox_size(world) == 0
        webhook = resident.message(text="/start")
        assert await world.fake.post(webhook, source="127.0.0.2",
                                     headers={"X-Forwarded-For": "192.0.2.9, 10.20.1.1"}) == 200
        await wait_handled(world.app, CHANNEL, update_id(webhook))
        assert "consent:yes" in last_buttons(resident.new_messages())


async def test_ok_delivering_a_webhook_twice_gets_it_processed_once(world):
    resident = world.resident(6)
    webhook = resident.message(text="/start poster_3")
    assert await world.fake.post(webhook) == 200
    await wait_handled(world.app, CHANNEL, update_id(webhook))
    first = resident.new_messages()
    assert await world.fake.post(dict(webhook)) == 200
    assert await inbox_size(world) == 1
    again = await resident.send_text("/start poster_3")
    assert len(again) == len(first)
