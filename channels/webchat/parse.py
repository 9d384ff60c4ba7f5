"""A browser's message as an event: the JSON body of ``POST /api/webchat/messages`` (``parse``),
or the fields of the photo form (``photo_event``).

The session names the resident (``sessions``); the browser's own message ``id`` becomes the
inbox key (``message_key``), so a message sent again is recognised. What cannot be read is
refused with a ``BadRequest`` that names the field, answered 400 (415 for a file that is no
image) by ``inbound``.
"""
from __future__ import annotations

import hashlib
import math
import re
import uuid
from typing import Any

from bot.core.events import Event, Kind, Location, Photo, ResidentRef, text_event
from bot.core.payloads import MAX_PAYLOAD_BYTES
from bot.core.storable import storable_text
from channels.webchat.sessions import SESSION, session_ref
from storage.attachments import NotAnImage, sniff_image

# \A…\Z, not ^…$: "$" also matches before a final newline.
CLIENT_ID = re.compile(r"\A[A-Za-z0-9_\-]{1,64}\Z")
LANGUAGE = re.compile(r"\A[a-z]{2}\Z")
SESSION_HEADER = "X-Session"


class BadRequest(Exception):
    def __init__(self, error: str, reason: str, status: int = 400, retry_after: int | None = None) -> None:
        super().__init__(reason)
        self.error, self.reason, self.status, self.retry_after = error, reason, status, retry_after


def parse(data: Any, session_header: str | None) -> Event:
    """The event of a message's decoded JSON body (the session may come in the header)."""
    if not isinstance(data, dict):
        raise BadRequest("malformed_json", "the body must be a JSON object")
    ref, update_id, extra = common(data, session_header)
    given = [key for key in ("text", "button", "location") if key in data]
    if len(given) != 1:
        raise BadRequest("bad_message", "send exactly one of: text, button, location")
    match given[0]:
        case "text":
            text = data["text"]
            if not isinstance(text, str):
                raise BadRequest("bad_text", "text must be a string")
            if not storable_text(text).strip():  # NUL and other controls are dropped
                raise BadRequest("empty_text", "text is empty")
            return text_event(ref, update_id, text, **extra)
        case "button":
            payload = data["button"]
            # Every payload the bot sends is printable ASCII (bot.core.payloads); anything else was
            # not pressed on one of its buttons, and must not reach a byte count or the store.
            if (not isinstance(payload, str) or not 1 <= len(payload) <= MAX_PAYLOAD_BYTES
                    or not (payload.isascii() and payload.isprintable())):
                raise BadRequest("bad_button", f"button must be the payload of a button the bot sent:"
                                               f" 1 to {MAX_PAYLOAD_BYTES} printable ASCII characters")
            return Event(ref=ref, update_id=update_id, kind=Kind.BUTTON, payload=payload, **extra)
        case _:
            return Event(ref=ref, update_id=update_id, kind=Kind.LOCATION,
                         location=_location(data["location"]), **extra)


def photo_event(fields: dict[str, Any], session_header: str | None, photo: bytes) -> Event:
    """The event of the photo form: it names the photo's type but not yet where it is."""
    ref, update_id, extra = common(fields, session_header)
    try:
        mime = sniff_image(photo)  # a first look only; the photo gate decodes and checks it
    except NotAnImage as error:
        raise BadRequest("not_an_image", str(error), 415) from None
    return Event(ref=ref, update_id=update_id, kind=Kind.PHOTOS,
                 photos=(Photo(mime_type=mime, size=len(photo)),), **extra)


def common(data: dict[str, Any], header: str | None) -> tuple[ResidentRef, str, dict[str, Any]]:
    in_body = data.get("session")
    if header is not None and in_body is not None and header != in_body:
        raise BadRequest("bad_session", f"the {SESSION_HEADER} header and the body name different sessions")
    ref = session_ref(session(header if header is not None else in_body))
    client_id = data.get("id")
    if client_id is None:
        client_id = uuid.uuid4().hex
    elif not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise BadRequest("bad_id", "id must be 1 to 64 letters, digits, '-' or '_'")
    language = data.get("language")
    extra = {"language_hint": language} if isinstance(language, str) and LANGUAGE.match(language) else {}
    return ref, message_key(ref, client_id), extra


def message_key(ref: ResidentRef, client_id: str) -> str:
    """The inbox key of a browser's message. Client ids are only unique per browser: hashed with
    the session's hash they are unique per channel, and the key does not carry the resident's id,
    so nothing is left of it in the inbox once the resident is forgotten."""
    return hashlib.sha256(f"{ref.external_id}:{client_id}".encode()).hexdigest()


def session(value: Any) -> str:
    if not isinstance(value, str) or not SESSION.match(value):
        raise BadRequest("bad_session", "session must be 32 to 128 lower-case hex characters (128+ random bits)")
    return value


def _location(value: Any) -> Location:
    if not isinstance(value, dict):
        raise BadRequest("bad_location", "location must be an object with latitude and longitude")
    latitude, longitude = value.get("latitude"), value.get("longitude")
    for number in (latitude, longitude):
        if isinstance(number, bool) or not isinstance(number, (int, float)) \
                or isinstance(number, float) and not math.isfinite(number):  # an int may be too big for a float
            raise BadRequest("bad_location", "latitude and longitude must be numbers")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise BadRequest("bad_location", "latitude must be within ±90 and longitude within ±180")
    return Location(latitude=latitude, longitude=longitude)
