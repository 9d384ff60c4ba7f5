"""MAX updates (``GET /updates`` items and webhook bodies, the same JSON) as core events.

Only a resident talking to the bot one-to-one is a resident: messages in group chats and
channels, and notices that are not something a resident did to the bot (``bot_added``,
``user_added``, ``dialog_muted``, ``message_edited``, …), are not events at all. ``parse``
returns them as an empty list, so they are acknowledged and dropped; the bot asks MAX only for
the types it maps (``UPDATE_TYPES``). What a resident sends that the bot cannot read (a sticker,
a voice message, a file) is an ``UNSUPPORTED`` event, so the resident gets an answer.

Update ids must stay the same when MAX delivers an update again (a webhook retry, a poll whose
marker was not passed): a message is its ``mid``; a press is its ``callback_id`` with the press
time (MAX calls ``callback_id`` the keyboard's id, so two presses on one keyboard must differ);
anything else is its type, user and timestamp.
"""
from __future__ import annotations

import logging
from typing import Any

from maxapi.utils.vcf import parse_vcf_info
from pydantic import ValidationError

from bot.core.events import Contact, Event, Kind, Location, Photo, ResidentRef, text_event
from channels.body import Unparseable, check_depth, load_json, refused_as

log = logging.getLogger(__name__)

NAME = "max"
# Update types worth asking MAX for (the ``types`` filter of polling and the subscription).
UPDATE_TYPES = ("message_created", "message_callback", "bot_started", "bot_stopped")
# Attachments MAX adds to a plain text message by itself (a link preview), not sent by a person.
TEXT_COMPANIONS = {"share", "inline_keyboard"}


class NotAnUpdate(Unparseable):
    """The body is not a MAX update (not JSON, no ``update_type``, wrong shapes)."""


def update_from_body(body: bytes) -> Any:
    """A webhook body's JSON; ``NotAnUpdate`` when it is not JSON a platform would send."""
    with refused_as(NotAnUpdate):
        return load_json(body)


def parse(update: Any) -> list[Event]:
    """The events of one update; ``NotAnUpdate`` for anything not shaped as MAX documents it,
    whichever part of the parser it trips (the one place such errors are told apart)."""
    if not isinstance(update, dict) or not isinstance(update.get("update_type"), str):
        raise NotAnUpdate("an update is a JSON object with an update_type")
    with refused_as(NotAnUpdate):
        check_depth(update)
        match update["update_type"]:
            case "message_created":
                return _message(update)
            case "message_callback":
                return _callback(update)
            case "bot_started":
                return _started(update)
            case "bot_stopped":
                user = _user(update.get("user"))
                return [_event(update, user, f"bot_stopped:{user['user_id']}:{update.get('timestamp')}",
                               Kind.REACHABILITY, reachable=False)]
            case other:
                log.debug("обновление MAX %s не из диалога с жителем; пропущено", other)
                return []


def _user(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or not isinstance(value.get("user_id"), int):
        raise NotAnUpdate("an update names its user with a numeric user_id")
    return value


def _ref(user: dict[str, Any]) -> ResidentRef:
    return ResidentRef(channel=NAME, external_id=str(user["user_id"]))


def _common(update: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    name = user.get("name") or " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)
    locale = update.get("user_locale")
    language = locale[:2].lower() if isinstance(locale, str) and locale[:2].isalpha() else ""
    return {"display_name": name or "", "language_hint": language, "raw": update}


def _event(update: dict[str, Any], user: dict[str, Any], update_id: str, kind: Kind, **fields: Any) -> Event:
    return Event(ref=_ref(user), update_id=update_id, kind=kind, **_common(update, user), **fields)


def _started(update: dict[str, Any]) -> list[Event]:
    """The Start button, or a deep link ``max.ru/<bot>?start=<payload>``: the /start command.

    Pressing Start again after ``bot_stopped`` is the resident unblocking the bot, so a start
    also says the resident is reachable (a separate event, so each has its own id)."""
    user = _user(update.get("user"))
    base = f"bot_started:{user['user_id']}:{update.get('timestamp')}"
    payload = update.get("payload")
    argument = payload.strip() if isinstance(payload, str) else ""
    return [
        _event(update, user, f"{base}:reachable", Kind.REACHABILITY, reachable=True),
        _event(update, user, base, Kind.COMMAND, command="start", argument=argument,
               text=f"/start {argument}".strip()),
    ]


def _callback(update: dict[str, Any]) -> list[Event]:
    callback = update["callback"]
    user = _user(callback.get("user"))
    callback_id = callback["callback_id"]
    if not isinstance(callback_id, str) or not callback_id:
        raise NotAnUpdate("a callback has a callback_id")
    update_id = f"cb:{callback_id}:{callback.get('timestamp')}"
    payload = callback.get("payload")
    if not isinstance(payload, str) or not payload:
        return [_event(update, user, update_id, Kind.UNSUPPORTED)]
    return [_event(update, user, update_id, Kind.BUTTON, payload=payload)]


def _message(update: dict[str, Any]) -> list[Event]:
    message = update["message"]
    recipient = message.get("recipient") or {}
    sender = message.get("sender")
    if recipient.get("chat_type") != "dialog" or not isinstance(sender, dict) or sender.get("is_bot"):
        log.debug("сообщение MAX вне диалога с жителем; пропущено")
        return []
    user = _user(sender)
    body = message.get("body") or {}
    mid = body.get("mid")
    if not isinstance(mid, str) or not mid:
        raise NotAnUpdate("a message body has a mid")
    update_id = f"msg:{mid}"
    text = body.get("text") if isinstance(body.get("text"), str) else ""
    attachments = [a for a in body.get("attachments") or () if isinstance(a, dict)]
    kinds = {a.get("type") for a in attachments}

    photos = tuple(Photo(remote_id=a["payload"]["url"]) for a in attachments
                   if a.get("type") == "image" and (a.get("payload") or {}).get("url"))
    if photos:
        return [_event(update, user, update_id, Kind.PHOTOS, photos=photos, text=text)]
    if "location" in kinds:
        place = next(a for a in attachments if a.get("type") == "location")
        try:
            location = Location(latitude=place.get("latitude"), longitude=place.get("longitude"))
        except ValidationError:  # a place off the map is still something the resident sent
            return [_event(update, user, update_id, Kind.UNSUPPORTED)]
        return [_event(update, user, update_id, Kind.LOCATION, location=location)]
    if "contact" in kinds:
        contact = _contact(next(a for a in attachments if a.get("type") == "contact"), user)
        if contact is not None:
            return [_event(update, user, update_id, Kind.CONTACT, contact=contact)]
    if text.strip() and kinds <= TEXT_COMPANIONS:
        return [text_event(_ref(user), update_id, text, **_common(update, user))]
    return [_event(update, user, update_id, Kind.UNSUPPORTED, text=text)]


def _contact(attachment: dict[str, Any], sender: dict[str, Any]) -> Contact | None:
    """A contact card; verified only when MAX says it is the sender's own account
    (``request_contact`` sends the resident's card with ``max_info`` of the resident)."""
    payload = attachment.get("payload") or {}
    vcf = payload.get("vcf_info") if isinstance(payload.get("vcf_info"), str) else ""
    phone = parse_vcf_info(vcf).phone or payload.get("vcf_phone") or ""
    if not isinstance(phone, str) or not phone.strip():
        return None
    owner = payload.get("max_info") if isinstance(payload.get("max_info"), dict) else {}
    return Contact(phone=phone.strip(), verified=owner.get("user_id") == sender["user_id"])
