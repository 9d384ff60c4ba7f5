"""Gateway events (protocol version 1) as core events.

An event names the resident (``user.id``, a string the gateway keeps stable per person), its own
``id`` (the idempotency key: the inbox's update id, so a re-sent event is processed once) and
exactly one thing the resident did. What cannot be read is refused with a reason the gateway's
developer can act on (``BadEvent``; ``NotJson`` when the body is not JSON at all), never
half-stored as an event: the gateway then knows to fix it rather than retry it. ``parse`` is
the one way in, where whatever a wrong shape trips is told apart.

``fingerprint`` is what tells a retry (the same id, the same event) from another event sent
under an id already used.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from bot.core.events import Contact, Event, Kind, Location, Photo, ResidentRef, text_event
from bot.core.payloads import MAX_PAYLOAD_BYTES
from channels.body import Unparseable, check_depth, load_json, refused_as
from channels.gateway.protocol import VERSION

NAME = "gateway"
ACTIONS = ("text", "button", "location", "photo_url", "contact", "start", "reachable")
MAX_ID_LENGTH = 128


class BadEvent(Unparseable):
    """The body is not a version-1 event; the message says what is wrong (answered 422)."""


class NotJson(BadEvent):
    """The body is not JSON at all (answered 400)."""


def parse(body: bytes) -> Event:
    """The event of a signed body; ``BadEvent`` (or ``NotJson``) with the reason otherwise."""
    with refused_as(NotJson):
        value = load_json(body)
    with refused_as(BadEvent):
        check_depth(value)
        return parse_event(value)


def fingerprint(event: Event) -> str:
    """The event as the gateway sent it, whatever its key order or spacing: a SHA-256 of the body's
    canonical JSON (nothing of it readable)."""
    canonical = json.dumps(event.raw, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_event(body: Any) -> Event:
    if not isinstance(body, dict):
        raise BadEvent("the body must be a JSON object")
    version = body.get("version", VERSION)
    if version != VERSION:
        raise BadEvent(f"protocol version {version!r} is not supported; this bot speaks {VERSION}")
    event_id = _id(body.get("id"), "id")
    user = body.get("user")
    if not isinstance(user, dict):
        raise BadEvent("user must be an object with an id")
    ref = ResidentRef(channel=NAME, external_id=_id(user.get("id"), "user.id"))
    fields = {"display_name": _text(user.get("name"))[:128], "language_hint": _language(user.get("language")),
              "raw": body}
    given = [key for key in ACTIONS if key in body]
    if len(given) != 1:
        raise BadEvent(f"an event carries exactly one of {', '.join(ACTIONS)}; this one has {given or 'none'}")
    action = given[0]
    value = body[action]
    common = {"ref": ref, "update_id": event_id, **fields}
    match action:
        case "text":
            if not isinstance(value, str) or not value.strip():
                raise BadEvent("text must be a non-empty string")
            return text_event(ref, event_id, value, **fields)
        case "button":
            if not isinstance(value, str) or not value or len(value.encode()) > MAX_PAYLOAD_BYTES:
                raise BadEvent(f"button must be the payload of a button the bot sent (1-{MAX_PAYLOAD_BYTES} bytes)")
            return Event(kind=Kind.BUTTON, payload=value, **common)
        case "location":
            if not isinstance(value, dict):
                raise BadEvent("location must be {\"latitude\": …, \"longitude\": …}")
            lat, lon = value.get("latitude"), value.get("longitude")
            if not (_number(lat) and _number(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
                raise BadEvent("location needs latitude in -90..90 and longitude in -180..180")
            return Event(kind=Kind.LOCATION, location=Location(latitude=lat, longitude=lon), **common)
        case "photo_url":
            if not isinstance(value, str) or not value.startswith(("http://", "https://")):
                raise BadEvent("photo_url must be an http(s) URL the bot can fetch the image from")
            return Event(kind=Kind.PHOTOS, photos=(Photo(remote_id=value),), **common)
        case "contact":
            if not isinstance(value, dict) or not _text(value.get("phone")):
                raise BadEvent("contact must be {\"phone\": \"+7…\", \"verified\": true|false}")
            # ``verified``: the gateway vouches that the number is the sender's own (it knows the
            # caller's line, or the messenger shared the account's number).
            contact = Contact(phone=_text(value["phone"]), verified=value.get("verified") is True)
            return Event(kind=Kind.CONTACT, contact=contact, **common)
        case "start":
            # A deep link or QR poster: the same as a resident typing "/start <source>".
            source = value if isinstance(value, str) else ""
            return Event(kind=Kind.COMMAND, command="start", argument=source.strip()[:64],
                         text=f"/start {source}".strip(), **common)
        case _:  # "reachable"
            if not isinstance(value, bool):
                raise BadEvent("reachable must be true or false")
            return Event(kind=Kind.REACHABILITY, reachable=value, **common)


def _id(value: Any, name: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_ID_LENGTH or not value.isprintable():
        raise BadEvent(f"{name} must be a string of 1-{MAX_ID_LENGTH} printable characters")
    return value


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _language(value: Any) -> str:
    hint = _text(value).split("-", 1)[0].lower()
    return hint if hint.isalpha() and len(hint) <= 3 else ""
