"""The one event type every channel produces: what a resident did, in platform-neutral words.

An event is stored in the inbox as JSON before its channel acknowledges it, and handlers read
only this type, so a handler never learns which platform a press or a photo came from. The
platform's own payload travels along in ``raw`` for diagnostics.

Every string an event (or a part of it) is built from is made storable first (``bot.core.storable``):
this type is the one door every channel's parser goes through, so text that UTF-8 or SQLite
cannot hold (a lone surrogate, NUL) is repaired here once, and an event can always be dumped to
JSON and stored.
"""
from __future__ import annotations

from datetime import datetime, timezone
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from bot.core.storable import storable_text, storable_values


class Kind(StrEnum):
    TEXT = "text"
    COMMAND = "command"
    BUTTON = "button"
    PHOTOS = "photos"
    LOCATION = "location"
    CONTACT = "contact"
    UNSUPPORTED = "unsupported"
    # The platform tells us the resident can (not) be written to: blocked, unblocked the bot.
    REACHABILITY = "reachability"


# Every string field, and everything in ``raw``, repaired as the field is validated.
Text = Annotated[str, AfterValidator(storable_text)]
Raw = Annotated[dict[str, Any], AfterValidator(storable_values)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ResidentRef(Frozen):
    channel: Text
    external_id: Text


class Photo(Frozen):
    """A photo already placed in the attachment store (``file_key``), or one still on the
    platform (``remote_id``). The dispatcher fetches and stores it before the handler runs, but
    only for a resident who consented, at a step that asks for a photo; when it refused to
    store one there, ``refused`` says why, so the handler can tell the resident."""

    file_key: Text = ""
    remote_id: Text = ""
    mime_type: Text = "image/jpeg"
    size: int = 0
    refused: Literal["", "not_an_image", "too_large", "quota", "unavailable"] = ""


class Location(Frozen):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class Contact(Frozen):
    phone: Text
    # True only when the platform vouches that the phone belongs to the sender.
    verified: bool = False


class Event(Frozen):
    ref: ResidentRef
    update_id: Text
    kind: Kind
    text: Text = ""
    command: Text = ""
    argument: Text = ""
    payload: Text = ""
    photos: tuple[Photo, ...] = ()
    location: Location | None = None
    contact: Contact | None = None
    reachable: bool | None = None
    display_name: Text = ""
    language_hint: Text = ""
    received_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    raw: Raw = Field(default_factory=dict)


def text_event(ref: ResidentRef, update_id: str, text: str, **fields: Any) -> Event:
    """Build a text or command event from what a resident typed; commands start with "/"."""
    text = storable_text(text)  # so that a command is recognised in the text that is stored
    stripped = text.strip()
    if stripped.startswith("/") and len(stripped) > 1:
        head, _, argument = stripped[1:].partition(" ")
        command = head.split("@", 1)[0].lower()
        if command.isascii() and command.replace("_", "").isalnum():
            return Event(ref=ref, update_id=update_id, kind=Kind.COMMAND, command=command,
                         argument=argument.strip(), text=text, **fields)
    return Event(ref=ref, update_id=update_id, kind=Kind.TEXT, text=text, **fields)
