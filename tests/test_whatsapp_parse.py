"""Every kind of WhatsApp message the documented webhooks carry, as the bot understands it, and
replies shaped within WhatsApp's limits."""
from __future__ import annotations

import pytest

from bot.core.events import Kind
from bot.core.rendering import fit
from bot.core.replies import Button, Reply
from channels.whatsapp.channel import WhatsappChannel
from channels.whatsapp.inbound import signature
from channels.whatsapp.parse import Malformed, parse_body
from channels.whatsapp.render import render
from tests.fakes.whatsapp import fixture


def one(name: str):
    parsed = parse_body(fixture(name))
    assert len(parsed.events) == 1
    return parsed.events[0]


def test_text_is_a_text_event_keyed_by_its_wamid():
    event = one("webhook_text.json")
    assert (event.kind, event.text, event.update_id) == (Kind.TEXT, "Body Text", "wamid.xyzxyz")
    assert (event.ref.channel, event.ref.external_id, event.display_name) == ("whatsapp", "972987654321", "Test Name")


def test_an_image_is_a_photo_to_download_by_its_media_id():
    for name in ("webhook_image.json", "webhook_image_with_url.json"):
        event = one(name)
        assert event.kind == Kind.PHOTOS and event.photos[0].remote_id == "65463453"


@pytest.mark.parametrize("name", ["webhook_location_current.json", "webhook_location_chosen.json"])
def test_a_shared_location_is_a_location(name):
    event = one(name)
    assert event.kind == Kind.LOCATION and event.location is not None


@pytest.mark.parametrize("name", ["webhook_interactive_button_reply.json", "webhook_interactive_list_reply.json",
                                  "webhook_interactive_list_reply_with_description.json"])
def test_a_reply_button_or_list_row_is_a_press_with_its_payload(name):
    event = one(name)
    assert (event.kind, event.payload) == (Kind.BUTTON, "callback_data")


def test_a_start_command_with_a_poster_source():
    body = fixture("webhook_text.json")
    body["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = "/start poster_12"
    event = parse_body(body).events[0]
    assert (event.kind, event.command, event.argument) == (Kind.COMMAND, "start", "poster_12")


@pytest.mark.parametrize("name,code", [("webhook_status_sent.json", None), ("webhook_status_delivered.json", None),
                                       ("webhook_status_read.json", None), ("webhook_status_failed.json", 130472),
                                       ("webhook_status_failed_131026.json", 131026),
                                       ("webhook_status_failed_131047_assembled.json", 131047)])
def test_statuses_are_receipts_not_residents_actions(name, code):
    parsed = parse_body(fixture(name))
    assert parsed.events == [] and len(parsed.receipts) == 1
    assert parsed.receipts[0].error_code == code


def test_a_body_that_is_not_a_business_account_webhook_is_malformed():
    for body in ({}, [], {"object": "page", "entry": []}, {"object": "whatsapp_business_account"}):
        with pytest.raises(Malformed):
            parse_body(body)


def test_the_signature_is_metas_documented_one():
    vector = fixture("x_hub_signature_256_assembled.json")["test_vectors"][0]
    assert signature(vector["app_secret"], vector["raw_body"].encode()) == vector["expected_header_value"]


def shaped(reply: Reply) -> list[dict]:
    return [m for part in fit(reply, WhatsappChannel.capabilities) for m in render(part)]


def buttons(count: int, label: str = "Да") -> tuple[tuple[Button, ...], ...]:
    return tuple((Button(label=f"{label}{n}", payload=f"p:{n}"),) for n in range(count))


def test_three_short_buttons_are_reply_buttons():
    [message] = shaped(Reply(text="Выберите", buttons=buttons(3)))
    assert message["interactive"]["type"] == "button"
    assert [b["reply"]["id"] for b in message["interactive"]["action"]["buttons"]] == ["p:0", "p:1", "p:2"]


def test_four_buttons_or_a_long_label_make_a_list_of_rows_within_24_characters():
    [message] = shaped(Reply(text="Выберите", buttons=buttons(4)))
    assert message["interactive"]["type"] == "list"
    [longer] = shaped(Reply(text="Выберите", buttons=buttons(2, label="Очень длинная подпись кнопки")))
    assert longer["interactive"]["type"] == "list"
    rows = longer["interactive"]["action"]["sections"][0]["rows"]
    assert all(len(r["title"]) <= 24 for r in rows)
    assert all(r["description"].startswith("Очень длинная подпись кнопки") for r in rows)  # shown in full


def test_more_than_ten_buttons_are_numbered_text():
    messages = shaped(Reply(text="Выберите", buttons=buttons(11)))
    assert [m["type"] for m in messages] == ["text"]
    assert "11. Да10" in messages[0]["text"]["body"]


def test_a_long_prompt_goes_before_its_buttons_within_the_1024_character_body():
    messages = shaped(Reply(text="слово " * 400, buttons=buttons(2)))
    assert messages[-1]["type"] == "interactive" and len(messages[-1]["interactive"]["body"]["text"]) <= 1024
    assert all(m["type"] == "text" for m in messages[:-1])


def test_a_location_request_is_whatsapps_location_request_message():
    reply = Reply(text="Где это?", buttons=((Button(label="📍 Отправить место", request="location"),),
                                            (Button(label="Пропустить", payload="prop:skip"),)))
    messages = shaped(reply)
    assert [m["interactive"]["type"] for m in messages] == ["button", "location_request_message"]
