"""What a MAX resident does becomes the right event: the documented payloads, mapped."""
from __future__ import annotations

import copy

import pytest

from bot.core.events import Kind
from channels.max.parse import NotAnUpdate, parse
from tests.fakes.max import fixture


def only(update: dict) -> list:
    return parse(update)


def dialog_message(**body) -> dict:
    update = copy.deepcopy(fixture("webhook_message_created_dialog_text_maxapi_docs.json"))
    update["message"]["body"].update(body)
    return update


def test_the_start_button_is_the_start_command_and_makes_the_resident_reachable():
    update = fixture("updates_response_bot_started.json")["updates"][0]
    reachable, start = only(update)
    assert (reachable.kind, reachable.reachable) == (Kind.REACHABILITY, True)
    assert (start.kind, start.command, start.argument) == (Kind.COMMAND, "start", "")
    assert start.ref.external_id == "123456789" and start.ref.channel == "max"
    assert start.display_name == "John Doe" and start.language_hint == "ru"
    assert reachable.update_id != start.update_id


def test_a_deep_link_from_a_poster_is_the_start_command_with_its_source():
    start = only(fixture("webhook_bot_started_with_payload_assembled.json"))[-1]
    assert (start.kind, start.command, start.argument) == (Kind.COMMAND, "start", "poster_17")


def test_a_resident_who_stops_the_bot_is_no_longer_reachable():
    [event] = only(fixture("updates_response_bot_stopped.json")["updates"][0])
    assert (event.kind, event.reachable, event.ref.external_id) == (Kind.REACHABILITY, False, "123456789")


def test_text_in_the_dialog_is_text_and_slash_words_are_commands():
    [text] = only(fixture("webhook_message_created_dialog_text_maxapi_docs.json"))
    assert (text.kind, text.text, text.ref.external_id) == (Kind.TEXT, "Привет", "54321")
    assert text.update_id == "msg:mid.REDACTED_ID"
    [command] = only(dialog_message(text="/menu"))
    assert (command.kind, command.command) == (Kind.COMMAND, "menu")


def test_a_link_in_text_stays_text_although_max_adds_a_preview():
    [event] = only(dialog_message(text="https://example.org", attachments=[
        {"type": "share", "payload": {"url": "https://example.org"}}]))
    assert event.kind is Kind.TEXT


def test_messages_in_group_chats_are_not_taken_as_a_residents_words():
    assert only(fixture("webhook_message_created.json")) == []
    assert only(fixture("updates_response_message_created.json")["updates"][0]) == []


@pytest.mark.parametrize("name, payload", [
    ("webhook_message_callback.json", "picture"),
    ("webhook_message_callback_dialog_maxapi_docs.json", "utm_view_6"),
    ("webhook_message_callback_with_image_maxapi_docs.json", "new_campaign"),
])
def test_a_pressed_button_is_a_button_event_with_its_payload(name, payload):
    [event] = only(fixture(name))
    assert (event.kind, event.payload) == (Kind.BUTTON, payload)
    assert event.ref.external_id == str(fixture(name)["callback"]["user"]["user_id"])


def test_a_photo_is_fetched_later_from_its_url():
    image = fixture("webhook_message_callback_with_image_maxapi_docs.json")["message"]["body"]["attachments"][1]
    [event] = only(dialog_message(text="Вот", attachments=[image]))
    assert event.kind is Kind.PHOTOS and event.text == "Вот"
    assert [p.remote_id for p in event.photos] == ["https://example.com/image.png"]


def test_a_shared_location_is_a_location():
    [event] = only(dialog_message(text="", attachments=[{"type": "location", "latitude": 50.0958,
                                                          "longitude": 118.0317}]))
    assert event.kind is Kind.LOCATION and event.location.latitude == 50.0958


def test_a_place_off_the_map_is_unsupported_not_refused():
    [event] = only(dialog_message(text="", attachments=[{"type": "location", "latitude": 123.0,
                                                          "longitude": 118.0}]))
    assert event.kind is Kind.UNSUPPORTED


def test_a_phone_is_verified_only_when_it_is_the_senders_own_card():
    sender = fixture("webhook_message_created_dialog_text_maxapi_docs.json")["message"]["sender"]
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:User_Name\r\nTEL;TYPE=cell:79990001122\r\nEND:VCARD"
    [own] = only(dialog_message(attachments=[{"type": "contact", "payload": {"vcf_info": card, "max_info": sender}}]))
    assert (own.kind, own.contact.phone, own.contact.verified) == (Kind.CONTACT, "79990001122", True)
    friend = {**sender, "user_id": 99}
    [other] = only(dialog_message(attachments=[{"type": "contact", "payload": {"vcf_info": card, "max_info": friend}}]))
    assert (other.kind, other.contact.verified) == (Kind.CONTACT, False)


def test_a_sticker_is_unsupported():
    [event] = only(dialog_message(text="", attachments=[{"type": "sticker", "payload": {"url": "u", "code": "c"},
                                                         "width": 1, "height": 1}]))
    assert event.kind is Kind.UNSUPPORTED


def test_the_same_update_delivered_again_has_the_same_id():
    for name in ("webhook_message_callback.json", "webhook_bot_started.json",
                 "webhook_message_created_dialog_text_maxapi_docs.json"):
        assert [e.update_id for e in only(fixture(name))] == [e.update_id for e in only(fixture(name))]


def test_two_presses_on_one_keyboard_are_two_updates():
    first = fixture("webhook_message_callback.json")
    second = copy.deepcopy(first)
    second["callback"]["timestamp"] += 1500
    assert only(first)[0].update_id != only(second)[0].update_id


@pytest.mark.parametrize("body", [[], "text", {"timestamp": 1}, {"update_type": "message_created"},
                                  {"update_type": "bot_started", "user": {"name": "no id"}}])
def test_what_is_not_an_update_is_refused(body):
    with pytest.raises(NotAnUpdate):
        parse(body)
