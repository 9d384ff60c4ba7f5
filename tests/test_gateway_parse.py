"""What a gateway may send (protocol version 1) and what the bot makes of it; what it refuses."""
from __future__ import annotations

import pytest

from bot.core.events import Kind
from channels.gateway.parse import BadEvent, parse_event
from channels.gateway.protocol import sign, verify

USER = {"id": "79001234567", "name": "Анна Петрова", "language": "ru-RU"}


def event(**action):
    return {"version": 1, "id": "evt-1", "user": USER, **action}


def test_text_and_commands_become_text_and_command_events():
    said = parse_event(event(text="Скамейки у пруда"))
    assert (said.kind, said.text, said.update_id) == (Kind.TEXT, "Скамейки у пруда", "evt-1")
    assert (said.ref.channel, said.ref.external_id) == ("gateway", "79001234567")
    assert (said.display_name, said.language_hint) == ("Анна Петрова", "ru")
    command = parse_event(event(text="/start poster_12"))
    assert (command.kind, command.command, command.argument) == (Kind.COMMAND, "start", "poster_12")


def test_a_deep_link_source_is_a_start_command():
    started = parse_event(event(start="poster_12"))
    assert (started.kind, started.command, started.argument) == (Kind.COMMAND, "start", "poster_12")


def test_buttons_locations_photos_contacts_and_blocks_are_mapped():
    assert parse_event(event(button="menu:propose")).payload == "menu:propose"
    place = parse_event(event(location={"latitude": 50.0958, "longitude": 118.0317})).location
    assert (place.latitude, place.longitude) == (50.0958, 118.0317)
    photo = parse_event(event(photo_url="https://gw.example/p/1.jpg"))
    assert photo.kind == Kind.PHOTOS and photo.photos[0].remote_id == "https://gw.example/p/1.jpg"
    contact = parse_event(event(contact={"phone": "+79001234567", "verified": True})).contact
    assert (contact.phone, contact.verified) == ("+79001234567", True)
    assert parse_event(event(contact={"phone": "+7900"})).contact.verified is False
    blocked = parse_event(event(reachable=False))
    assert (blocked.kind, blocked.reachable) == (Kind.REACHABILITY, False)


@pytest.mark.parametrize("body", [
    [], {"id": "x", "user": USER}, event(text="a", button="b"), {"id": "", "user": USER, "text": "a"},
    {"id": "x", "user": {}, "text": "a"}, event(version=2, text="a"), event(text="   "),
    event(button="x" * 65), event(location={"latitude": 91, "longitude": 0}),
    event(photo_url="file:///etc/passwd"), event(contact={"phone": ""}), event(reachable="no"),
])
def test_events_that_cannot_be_read_are_refused_with_a_reason(body):
    with pytest.raises(BadEvent):
        parse_event(body)


def test_the_signature_is_hmac_sha256_of_the_raw_body():
    # The worked example of docs/gateway.md: printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$KEY"
    body = b'{"version":1,"id":"evt-1","user":{"id":"42"},"text":"hello"}'
    header = sign("correct horse battery staple", body)
    assert header == "sha256=" + __import__("hmac").new(b"correct horse battery staple", body, "sha256").hexdigest()
    assert verify("correct horse battery staple", body, header)
    assert verify("correct horse battery staple", body, header.upper().replace("SHA256=", "sha256="))
    assert not verify("correct horse battery staple", body + b" ", header)
    assert not verify("another key entirely", body, header)
    assert not verify("correct horse battery staple", body, None)
    assert not verify("correct horse battery staple", body, header[7:])


def test_the_worked_example_of_the_documentation_signs_as_documented():
    body = '{"version":1,"id":"evt-1","user":{"id":"42","name":"Анна","language":"ru"},"text":"/start poster_12"}'
    assert sign("correct-horse-battery-staple", body.encode()) == (
        "sha256=a12eb120737c39c3cadf37e386d882fc71292814ca79fe998d1c15220f28899f")
