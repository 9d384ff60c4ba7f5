"""VK updates (Bots Long Poll and Callback API share one shape) as core events.

Only what a resident does in a private dialogue with the community becomes an event; community
events without a resident (wall posts, group joins) and messages in group chats are ignored.
Button payloads arrive as JSON strings (keyboard ``text`` buttons) or objects (``callback``
buttons); ours are wrapped as ``{"p": "<payload>"}``, and VK's own "Начать" button sends
``{"command": "start"}``. Payloads come from residents' clients and are untrusted: anything
unrecognised is treated as what the resident typed, never as an error.

``parse`` is the one way in: an update whose fields have other types or shapes than VK
documents is ``NotAnUpdate`` there, whatever part of the parser it trips, and the channel keeps
it as a dead letter instead of failing on it again at every retry or long poll.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from bot.core.events import Event, Kind, Location, Photo, ResidentRef, text_event
from bot.core.payloads import MAX_PAYLOAD_BYTES
from channels.body import Unparseable, check_depth, refused_as

NAME = "vk"
CHAT_PEER_OFFSET = 2_000_000_000          # peer ids of group chats start here
LANGUAGES = {0: "ru", 3: "en"}            # VK's lang_id values for the languages we have texts in
RESIDENT_TYPES = ("message_new", "message_event", "message_allow", "message_deny")  # what to_event maps


class NotAnUpdate(Unparseable):
    """The JSON is not an update as VK sends them."""


@dataclass(frozen=True)
class ClientSupport:
    """What a resident's VK client can show, from ``client_info`` of their last message."""

    keyboard: bool = True
    inline: bool = False

    @classmethod
    def from_client_info(cls, info: Any) -> "ClientSupport | None":
        if not isinstance(info, dict):
            return None
        actions = info.get("button_actions") or []
        return cls(keyboard=bool(info.get("keyboard", True)),
                   inline=bool(info.get("inline_keyboard")) and "callback" in actions)


@dataclass(frozen=True)
class Reading:
    """What the channel takes from one update: the event, and what the sender's client can show."""

    event: Event | None
    support: tuple[str, ClientSupport] | None


def parse(update: Any) -> Reading:
    """The event (``None`` when no resident did anything) and the client's abilities of one
    update; ``NotAnUpdate`` when it does not have the shape VK gives its updates."""
    if not isinstance(update, dict):
        raise NotAnUpdate("an update is a JSON object")
    if not isinstance(update.get("type"), str) or not update["type"]:
        raise NotAnUpdate("an update has a type")
    if update["type"] in RESIDENT_TYPES and not isinstance(update.get("object"), dict):
        raise NotAnUpdate(f"a {update['type']} update has an object")
    with refused_as(NotAnUpdate):
        check_depth(update)
        return Reading(to_event(update), client_support(update))


def update_id(update: dict[str, Any]) -> str:
    """The same id whenever VK delivers this update again (a long-poll replay, a callback retry).

    VK puts ``event_id`` on every update since API 5.103; without it, a message is named by
    its community, type, id and dialogue, and anything else by a digest of its object.
    """
    if isinstance(update.get("event_id"), str) and update["event_id"]:
        return update["event_id"]
    group = update.get("group_id", "")
    kind = update.get("type", "")
    obj = update.get("object") if isinstance(update.get("object"), dict) else {}
    message = obj.get("message") if isinstance(obj.get("message"), dict) else obj
    number = message.get("id") or message.get("conversation_message_id")
    peer = message.get("peer_id") or message.get("from_id") or message.get("user_id")
    if number and peer:
        return f"{group}:{kind}:{number}:{peer}"
    canonical = json.dumps(obj, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")
    digest = hashlib.sha256(canonical).hexdigest()
    return f"{group}:{kind}:{digest[:32]}"


def to_event(update: dict[str, Any]) -> Event | None:
    """The core event for one update, or ``None`` when no resident did anything."""
    obj = update.get("object")
    if not isinstance(obj, dict):
        return None
    match update.get("type"):
        case "message_new":
            return _message_new(update, obj)
        case "message_event":
            return _message_event(update, obj)
        case "message_allow" | "message_deny" as kind:
            user = obj.get("user_id")
            if not _is_user(user):
                return None
            return Event(ref=_ref(user), update_id=update_id(update), kind=Kind.REACHABILITY,
                         reachable=kind == "message_allow", raw=update)
    return None


def client_support(update: dict[str, Any]) -> tuple[str, ClientSupport] | None:
    """The sender and what their client can show, when the update says so (``message_new``)."""
    obj = update.get("object")
    if update.get("type") != "message_new" or not isinstance(obj, dict):
        return None
    message = obj.get("message")
    support = ClientSupport.from_client_info(obj.get("client_info"))
    if not isinstance(message, dict) or support is None or not _is_user(message.get("from_id")):
        return None
    return str(message["from_id"]), support


def our_payload(value: Any) -> str | None:
    """Our payload out of a button's ``{"p": …}`` (a JSON string or an already parsed object)."""
    data = _json_object(value)
    payload = data.get("p") if data else None
    if isinstance(payload, str) and payload.isascii() and 0 < len(payload) <= MAX_PAYLOAD_BYTES:
        return payload
    return None


def largest_photo_url(photo: dict[str, Any]) -> str:
    sizes = [s for s in photo.get("sizes") or [] if isinstance(s, dict) and isinstance(s.get("url"), str)]
    if not sizes:
        return ""
    best = max(sizes, key=lambda s: (_number(s.get("width")) * _number(s.get("height"))))
    return best["url"]


# -- the kinds ------------------------------------------------------------------------------

def _message_new(update: dict[str, Any], obj: dict[str, Any]) -> Event | None:
    message = obj.get("message")
    if not isinstance(message, dict):
        return None
    sender, peer = message.get("from_id"), message.get("peer_id", message.get("from_id"))
    if not _is_user(sender) or peer != sender:
        return None  # a community, or a group chat: the bot talks to residents one to one
    ref, uid = _ref(sender), update_id(update)
    info = obj.get("client_info") if isinstance(obj.get("client_info"), dict) else {}
    extra: dict[str, Any] = {"raw": update}
    if info.get("lang_id") in LANGUAGES:
        extra["language_hint"] = LANGUAGES[info["lang_id"]]
    text = message.get("text") if isinstance(message.get("text"), str) else ""

    source = message.get("ref")
    if isinstance(source, str) and source:
        return Event(ref=ref, update_id=uid, kind=Kind.COMMAND, command="start", argument=source,
                     text=text, **extra)
    button = _json_object(message.get("payload"))
    if button.get("command") == "start":
        return Event(ref=ref, update_id=uid, kind=Kind.COMMAND, command="start", text=text, **extra)
    payload = our_payload(button)
    if payload is not None:
        return Event(ref=ref, update_id=uid, kind=Kind.BUTTON, payload=payload, text=text, **extra)
    geo = message.get("geo")
    if isinstance(geo, dict):
        location = _location(geo)
        if location is not None:
            return Event(ref=ref, update_id=uid, kind=Kind.LOCATION, location=location, text=text, **extra)
    attachments = [a for a in message.get("attachments") or [] if isinstance(a, dict)]
    photos = tuple(Photo(remote_id=url) for a in attachments if a.get("type") == "photo"
                   and isinstance(a.get("photo"), dict) and (url := largest_photo_url(a["photo"])))
    if photos:
        return Event(ref=ref, update_id=uid, kind=Kind.PHOTOS, photos=photos, text=text, **extra)
    if text.strip() and not attachments:
        return text_event(ref, uid, text, **extra)
    return Event(ref=ref, update_id=uid, kind=Kind.UNSUPPORTED, text=text, **extra)


def _message_event(update: dict[str, Any], obj: dict[str, Any]) -> Event | None:
    user = obj.get("user_id")
    if not _is_user(user) or obj.get("peer_id", user) != user:
        return None
    payload = our_payload(obj.get("payload"))
    if payload is None:
        return Event(ref=_ref(user), update_id=update_id(update), kind=Kind.UNSUPPORTED, raw=update)
    return Event(ref=_ref(user), update_id=update_id(update), kind=Kind.BUTTON, payload=payload, raw=update)


# -- small pieces ---------------------------------------------------------------------------

def _ref(user: int) -> ResidentRef:
    return ResidentRef(channel=NAME, external_id=str(user))


def _is_user(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < CHAT_PEER_OFFSET


def _json_object(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):  # a resident's client wrote it: treated as typed text
            return {}
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _location(geo: dict[str, Any]) -> Location | None:
    coordinates = geo.get("coordinates")
    if not isinstance(coordinates, dict):
        return None
    try:
        return Location(latitude=coordinates.get("latitude"), longitude=coordinates.get("longitude"))
    except ValueError:
        return None
