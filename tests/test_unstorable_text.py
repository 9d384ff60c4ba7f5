"""Text that cannot be stored as sent is repaired at the edge, on every channel (issue 10, point 1).

JSON lets a sender write a lone UTF-16 surrogate (the escape "\\ud800") and NUL ("\\u0000"); such a
string cannot be encoded as UTF-8, so before the repair one such message made the batch write and
then the failure record fail. Every channel's parser builds the one ``Event`` type, which repairs
its strings: a lone surrogate becomes U+FFFD, NUL and the other C0 control characters except tab
and line breaks are dropped. The payloads go through each channel's real path: the driver's fake
platform puts the raw JSON escape on the wire, as a platform would pass it on.
"""
from __future__ import annotations

import secrets

import pytest

from tests import stored
from tests.drivers import CAMPAIGN, JOURNEY_CHANNELS, load_content_into, load_world, with_campaign
from tests.drivers.webchat import API, world as webchat_world
from tests.journey import all_text, last_buttons, onboard

SENT = "Скамейки у пруда \ud800 и фонарь\u0000 у входа\u0007"
STORED = "Скамейки у пруда \ufffd и фонарь у входа"


@pytest.fixture(params=with_campaign(JOURNEY_CHANNELS))
async def world(request, tmp_path):
    channel, campaign = request.param
    async with load_world(channel)(tmp_path) as running:
        if campaign:
            await load_content_into(running.app, CAMPAIGN)
        yield running


async def test_a_proposal_with_a_lone_surrogate_and_nul_is_stored_repaired(world):
    resident = world.resident(5)
    await onboard(resident)
    await resident.press("menu:propose")
    review = await resident.send_text(SENT)
    assert "prop:confirm" in last_buttons(review) and STORED in all_text(review), all_text(review)
    done = await resident.press("prop:confirm")
    assert "П-1" in all_text(done), all_text(done)

    db = world.app.db
    assert await stored.values(db, "proposals", "text") == [STORED]
    assert await stored.count(db, "inbox", error=stored.SET) == 0
    assert await stored.count(db, "inbox", processed_at=None) == 0


def test_every_string_of_an_event_is_repaired_so_it_can_always_be_dumped_and_read_back():
    from bot.core.events import Contact, Event, Kind, Photo, ResidentRef

    event = Event(ref=ResidentRef(channel="vk", external_id="7\x00"), update_id="u\ud800", kind=Kind.CONTACT,
                  contact=Contact(phone="+7\x00 914"), photos=(Photo(remote_id="https://x/\udfff"),),
                  display_name="Аня\x1b[31m", raw={"k\ud83d": [{"t": "\x00ok\t\n\r"}, ["\ud83d\ude00"]]})
    again = Event.model_validate_json(event.model_dump_json())
    assert again == event
    assert (event.ref.external_id, event.update_id, event.contact.phone, event.photos[0].remote_id,
            event.display_name) == ("7", "u\ufffd", "+7 914", "https://x/\ufffd", "Аня[31m")
    assert event.raw == {"k\ufffd": [{"t": "ok\t\n\r"}, ["😀"]]}


def test_a_number_json_cannot_carry_reads_back_as_it_is_stored():
    """A lenient decoder (a long poll's client library) turns 1e999 into infinity; stored as JSON
    it comes back as null, so the event is built with null and reads back unchanged."""
    from bot.core.events import Event, Kind, ResidentRef

    event = Event(ref=ResidentRef(channel="vk", external_id="7"), update_id="1", kind=Kind.TEXT, text="x",
                  raw={"key": float("inf"), "nested": [float("nan"), 1.5]})
    assert event.raw == {"key": None, "nested": [None, 1.5]}
    assert Event.model_validate_json(event.model_dump_json()) == event


@pytest.mark.parametrize("button", ['"\\ud800"', '"menu:\\udc00x"', '"меню"',
                                    '"menu:about\\u0000"', '"menu:\\u001b"', '""', '"x"'],
                         ids=["lone-surrogate", "surrogate-inside", "cyrillic", "nul", "escape", "empty", "ok"])
async def test_a_web_chat_button_that_no_bot_button_carries_gets_400_and_stores_nothing(tmp_path, button):
    """Payloads the bot sends are printable ASCII; a press of anything else is refused with a reason
    (before the fix "\\ud800" reached a byte count and answered 500)."""
    session = secrets.token_hex(16)
    body = f'{{"session": "{session}", "button": {button}}}'.encode()
    async with webchat_world(tmp_path) as world:
        async with world.http.post(world.base + API, data=body,
                                   headers={"Content-Type": "application/json"}) as response:
            answer = await response.json()
        kept = await stored.count(world.app.db, "inbox")
    if button == '"x"':  # the control case: a printable ASCII press that matches nothing is answered
        assert response.status == 200 and answer["replies"] and kept == 1
        return
    assert response.status == 400, answer
    assert answer["error"] == "bad_button" and "printable ASCII" in answer["reason"]
    assert kept == 0


async def test_a_web_chat_text_of_nothing_but_control_characters_is_empty(tmp_path):
    body = f'{{"session": "{secrets.token_hex(16)}", "text": " \\u0000\\u0007 "}}'.encode()
    async with webchat_world(tmp_path) as world:
        async with world.http.post(world.base + API, data=body,
                                   headers={"Content-Type": "application/json"}) as response:
            answer = await response.json()
    assert response.status == 400 and answer["error"] == "empty_text"
