"""Telegram updates as core events.

Updates are read as the JSON the Bot API sent, not through aiogram's models: the raw dict is
what the inbox keeps, and a field that aiogram's version marks as required but an update lacks
(the official examples omit ``is_bot`` and ``chat_instance``) must not turn a resident's
``/start`` into an error, or a whole ``getUpdates`` batch into one that can never be read.

Only private chats are residents' conversations. Updates from groups and channels, and updates
without a person behind them, give ``None``: the channel acknowledges them without storing.

``update_from_body`` and ``parse`` are the ways in: a body that is not an Update, or one
whose fields have other types than the Bot API documents, is ``NotAnUpdate`` there, and the
channel keeps it as a dead letter.
"""
from __future__ import annotations

from typing import Any

from bot.core.events import Contact, Event, Kind, Location, Photo, ResidentRef, text_event
from bot.core.payloads import MAX_PAYLOAD_BYTES
from channels.body import Unparseable, check_depth, load_json, refused_as

NAME = "telegram"
# The update types the bot asks for (getUpdates / setWebhook ``allowed_updates``); Telegram
# then never sends edits, reactions or channel posts, which a resident's dialogue has no use for.
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "image/heif")


class NotAnUpdate(Unparseable):
    """The body is not a Telegram Update."""


def update_from_body(body: bytes) -> dict[str, Any]:
    """A webhook body's Update; ``NotAnUpdate`` unless it is a JSON object with an update_id."""
    with refused_as(NotAnUpdate):
        update = load_json(body)
        check_depth(update)
    if not isinstance(update, dict) or update_id(update) is None:
        raise NotAnUpdate("an Update is a JSON object with an integer update_id")
    return update


def parse(update: dict[str, Any]) -> Event | None:
    """``parse_update``, with whatever a wrong shape trips in it told apart as ``NotAnUpdate``."""
    with refused_as(NotAnUpdate):
        check_depth(update)
        return parse_update(update)


def update_id(update: dict[str, Any]) -> int | None:
    value = update.get("update_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def callback_query_id(update: dict[str, Any]) -> str | None:
    """The id to answer with ``answerCallbackQuery``, whatever the press turns out to be."""
    query = update.get("callback_query")
    if isinstance(query, dict) and isinstance(query.get("id"), str):
        return query["id"]
    return None


def parse_update(update: dict[str, Any]) -> Event | None:
    number = update_id(update)
    if number is None:
        return None
    match update:
        case {"message": dict(message)}:
            return _message(update, str(number), message)
        case {"callback_query": dict(query)}:
            return _callback(update, str(number), query)
        case {"my_chat_member": dict(change)}:
            return _membership(update, str(number), change)
    sender = _any_person(update)
    if sender is None:
        return None
    return Event(ref=_ref(sender), update_id=str(number), kind=Kind.UNSUPPORTED, raw=update,
                 **_person_fields(sender))


def _message(update: dict[str, Any], number: str, message: dict[str, Any]) -> Event | None:
    sender = message.get("from")
    if not _is_private(message.get("chat")) or not _is_person(sender):
        return None
    person = _person_fields(sender)
    common = {"ref": _ref(sender), "update_id": number, "raw": update, **person}
    match message:
        case {"text": str(text)} if text.strip():
            return text_event(_ref(sender), number, text, raw=update, **person)
        case {"photo": [*sizes]} if _largest(sizes) is not None:
            return Event(kind=Kind.PHOTOS, photos=(_largest(sizes),), **common)
        case {"document": {"file_id": str(file_id), "mime_type": str(mime)}} if mime in IMAGE_TYPES:
            size = message["document"].get("file_size")
            return Event(kind=Kind.PHOTOS, photos=(Photo(remote_id=file_id, mime_type=mime,
                                                         size=size if isinstance(size, int) else 0),), **common)
        case {"location": {"latitude": int() | float() as lat, "longitude": int() | float() as lon}} \
                if -90 <= lat <= 90 and -180 <= lon <= 180:
            return Event(kind=Kind.LOCATION, location=Location(latitude=lat, longitude=lon), **common)
        case {"contact": {"phone_number": str(phone)}} if phone.strip():
            # ``user_id`` is the Telegram account the number belongs to: only the sender's own
            # account vouches for it (the request-contact button sends exactly that); someone
            # else's card, forwarded or typed in, proves nothing about the sender.
            owner = message["contact"].get("user_id")
            verified = isinstance(owner, int) and owner == sender["id"]
            return Event(kind=Kind.CONTACT, contact=Contact(phone=phone.strip(), verified=verified), **common)
    return Event(kind=Kind.UNSUPPORTED, **common)


def _callback(update: dict[str, Any], number: str, query: dict[str, Any]) -> Event | None:
    sender = query.get("from")
    if not _is_person(sender):
        return None
    # A press on an inline-mode message has no ``message``; its sender is still the resident.
    message = query.get("message")
    if isinstance(message, dict) and not _is_private(message.get("chat")):
        return None
    common = {"ref": _ref(sender), "update_id": number, "raw": update, **_person_fields(sender)}
    data = query.get("data")
    if isinstance(data, str) and data and len(data.encode()) <= MAX_PAYLOAD_BYTES:
        return Event(kind=Kind.BUTTON, payload=data, **common)
    return Event(kind=Kind.UNSUPPORTED, **common)


def _membership(update: dict[str, Any], number: str, change: dict[str, Any]) -> Event | None:
    """The bot's own membership in a private chat: "kicked" is a block, "member" an unblock."""
    sender = change.get("from")
    if not _is_private(change.get("chat")) or not _is_person(sender):
        return None
    member = change.get("new_chat_member")
    status = member.get("status") if isinstance(member, dict) else None
    reachable = {"kicked": False, "member": True}.get(status) if isinstance(status, str) else None
    if reachable is None:
        return None
    return Event(ref=_ref(sender), update_id=number, kind=Kind.REACHABILITY, reachable=reachable,
                 raw=update, **_person_fields(sender))


def _largest(sizes: list[Any]) -> Photo | None:
    """Telegram sends every photo in several sizes; the largest is the resident's original."""
    usable = [s for s in sizes if isinstance(s, dict) and isinstance(s.get("file_id"), str)]
    if not usable:
        return None
    best = max(usable, key=lambda s: (_number(s.get("width")) * _number(s.get("height")),
                                      _number(s.get("file_size"))))
    return Photo(remote_id=best["file_id"], size=_number(best.get("file_size")))


def _number(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _is_private(chat: Any) -> bool:
    return isinstance(chat, dict) and chat.get("type") == "private"


def _is_person(user: Any) -> bool:
    return isinstance(user, dict) and isinstance(user.get("id"), int) and not isinstance(user["id"], bool)


def _any_person(update: dict[str, Any]) -> dict[str, Any] | None:
    """The sender of an update type the bot does not handle, when it came from a person."""
    for value in update.values():
        if isinstance(value, dict):
            for key in ("from", "user"):
                if _is_person(value.get(key)):
                    chat = value.get("chat")
                    if chat is None or _is_private(chat):
                        return value[key]
    return None


def _ref(user: dict[str, Any]) -> ResidentRef:
    # In a private chat the chat id is the user's id, so replies go to the same number.
    return ResidentRef(channel=NAME, external_id=str(user["id"]))


def _person_fields(user: dict[str, Any]) -> dict[str, str]:
    names = [user.get("first_name"), user.get("last_name")]
    display = " ".join(n.strip() for n in names if isinstance(n, str) and n.strip())
    language = user.get("language_code")
    hint = language.split("-", 1)[0].lower() if isinstance(language, str) else ""
    return {"display_name": display[:128], "language_hint": hint if hint.isalpha() and len(hint) <= 3 else ""}
