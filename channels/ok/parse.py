"""OK webhooks as core events.

A webhook is one JSON object (apiok.ru, «Bot API для групп»): ``webhookType`` says what
happened, ``sender`` is the person (``user_id`` as ``user:<id>``, ``name``), ``recipient.chat_id``
the group's dialogue with that person (``chat:<id>``), ``timestamp`` milliseconds. A new message
(``MESSAGE_CREATED``) carries ``message`` with ``text``, ``mid``, ``seq`` and ``attachments``
(``IMAGE`` with a ``url`` to fetch, ``LOCATION``); a button press (``MESSAGE_CALLBACK``) carries
``callbackId`` and the button's ``payload``.

The resident is the dialogue, ``chat_id``: replies go to ``/graph/me/messages/<chat_id>``, the
way OK documents answering, and a person writes to the group in exactly one such dialogue.

``update_id`` is what OK sends again when it re-delivers: the message's ``mid`` (or its chat and
``seq``), the press's ``callbackId``. A webhook without either falls back to a digest of the
body, which a re-delivery of the same bytes repeats.

``parse`` is the one way in for a body: what is not JSON, not a webhook, or has fields of
other types than OK documents is ``NotAWebhook`` there, and the channel keeps it as a dead letter.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from bot.core.events import Event, Kind, Location, Photo, ResidentRef, text_event
from channels.body import Unparseable, check_depth, load_json, refused_as

NAME = "ok"
MESSAGE = "MESSAGE_CREATED"
CALLBACK = "MESSAGE_CALLBACK"


class NotAWebhook(Unparseable):
    """The body is not an OK webhook (not JSON, no webhookType, fields of other types)."""


def parse(body: bytes) -> Event | None:
    """The event of a webhook's body (``None`` for notices no resident caused); ``NotAWebhook``
    for anything not shaped as OK documents it, whichever part of the parser it trips."""
    with refused_as(NotAWebhook):
        webhook = load_json(body)
        check_depth(webhook)
        return parse_webhook(webhook)


def chat_id(webhook: dict[str, Any]) -> str | None:
    recipient = webhook.get("recipient")
    value = recipient.get("chat_id") if isinstance(recipient, dict) else None
    return value if isinstance(value, str) and value.startswith("chat:") and len(value) > 5 else None


def update_id(webhook: dict[str, Any]) -> str:
    kind = webhook.get("webhookType")
    message = webhook.get("message") if isinstance(webhook.get("message"), dict) else {}
    if kind == CALLBACK and isinstance(webhook.get("callbackId"), str):
        return f"callback:{webhook['callbackId']}"
    for mid in (message.get("mid"), webhook.get("mid")):
        if isinstance(mid, str) and mid:
            return f"mid:{mid}"
    if isinstance(message.get("seq"), int):
        return f"seq:{chat_id(webhook)}:{message['seq']}"
    canonical = json.dumps(webhook, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return "sha256:" + hashlib.sha256(canonical).hexdigest()[:32]


def parse_webhook(webhook: Any) -> Event | None:
    """The event for one webhook; ``None`` for OK's notices that no resident caused (chat
    system events), which are acknowledged and not stored. Raises ``NotAWebhook``."""
    if not isinstance(webhook, dict) or not isinstance(webhook.get("webhookType"), str):
        raise NotAWebhook("not an OK webhook: no webhookType")
    chat = chat_id(webhook)
    sender = webhook.get("sender")
    if chat is None or not isinstance(sender, dict) or not isinstance(sender.get("user_id"), str):
        if webhook["webhookType"] in (MESSAGE, CALLBACK):
            raise NotAWebhook("a message or press without recipient.chat_id and sender.user_id")
        return None
    ref = ResidentRef(channel=NAME, external_id=chat)
    name = sender.get("name")
    common: dict[str, Any] = {"ref": ref, "update_id": update_id(webhook), "raw": webhook,
                              "display_name": name if isinstance(name, str) else ""}
    match webhook["webhookType"]:
        case "MESSAGE_CALLBACK":
            payload = webhook.get("payload")
            if not isinstance(payload, str) or not payload:
                return Event(kind=Kind.UNSUPPORTED, **common)
            return Event(kind=Kind.BUTTON, payload=payload, **common)
        case "MESSAGE_CREATED":
            return _message(webhook.get("message"), common)
    return Event(kind=Kind.UNSUPPORTED, **common)


def _message(message: Any, common: dict[str, Any]) -> Event:
    if not isinstance(message, dict):
        return Event(kind=Kind.UNSUPPORTED, **common)
    attachments = [a for a in _attachments(message) if isinstance(a, dict)]
    photos = tuple(photo for a in attachments if (photo := _photo(a)) is not None)
    if photos:
        return Event(kind=Kind.PHOTOS, photos=photos, text=_text(message), **common)
    for attachment in attachments:
        location = _location(attachment)
        if location is not None:
            return Event(kind=Kind.LOCATION, location=location, **common)
    text = _text(message)
    if text.strip():
        return text_event(common["ref"], common["update_id"], text, raw=common["raw"],
                          display_name=common["display_name"])
    return Event(kind=Kind.UNSUPPORTED, **common)


def _text(message: dict[str, Any]) -> str:
    text = message.get("text")
    return text if isinstance(text, str) else ""


def _attachments(message: dict[str, Any]) -> list[Any]:
    """OK writes ``attachments`` (a list); its sending side also knows a single ``attachment``."""
    many = message.get("attachments")
    one = message.get("attachment")
    return (many if isinstance(many, list) else []) + ([one] if isinstance(one, dict) else [])


def _photo(attachment: dict[str, Any]) -> Photo | None:
    if str(attachment.get("type", "")).upper() != "IMAGE":
        return None
    payload = attachment.get("payload")
    url = payload.get("url") if isinstance(payload, dict) else None
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        return None
    return Photo(remote_id=url)


def _location(attachment: dict[str, Any]) -> Location | None:
    if str(attachment.get("type", "")).upper() != "LOCATION":
        return None
    payload = attachment.get("payload") if isinstance(attachment.get("payload"), dict) else attachment
    lat, lon = payload.get("latitude"), payload.get("longitude")
    if isinstance(lat, bool) or isinstance(lon, bool) or not isinstance(lat, (int, float)) \
            or not isinstance(lon, (int, float)) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return Location(latitude=lat, longitude=lon)
