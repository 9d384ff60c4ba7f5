"""WhatsApp webhook bodies as core events and delivery receipts.

One POST may carry several entries, changes and messages (Meta batches them), so a body gives a
list. A message's ``id`` (the wamid) is the event's ``update_id``: Meta repeats it when it
delivers the same message again, which is what makes a repeat recognisable in the inbox.

``statuses`` are not residents' actions: they become ``Receipt``s, recorded by the channel.
Changes for another phone number of the same app (``metadata.phone_number_id``) are skipped.

``parse`` is the one way in for a body: what is not JSON, not a WhatsApp Business Account
webhook, or has fields of other types than Meta documents is ``Malformed`` there, and the
channel keeps the body as a dead letter.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from bot.core.events import Contact, Event, Kind, Location, Photo, ResidentRef, text_event
from bot.core.payloads import MAX_PAYLOAD_BYTES
from channels.body import Unparseable, check_depth, load_json, refused_as
from storage.ports.whatsapp import Receipt
from storage.statuses import WhatsAppStatus

NAME = "whatsapp"
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")


class Malformed(Unparseable):
    """Not a WhatsApp Business Account webhook body."""


@dataclass
class Parsed:
    events: list[Event] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)
    # wa_id → when the resident wrote (for the 24-hour window)
    inbound: dict[str, str] = field(default_factory=dict)


def parse(body: bytes, phone_number_id: str = "") -> Parsed:
    """``parse_body`` of a webhook's bytes, with whatever a wrong shape trips told apart as
    ``Malformed``."""
    with refused_as(Malformed):
        value = load_json(body)
        check_depth(value)
        return parse_body(value, phone_number_id)


def parse_body(body: Any, phone_number_id: str = "") -> Parsed:
    if not isinstance(body, dict) or body.get("object") != "whatsapp_business_account" \
            or not isinstance(body.get("entry"), list):
        raise Malformed("not a whatsapp_business_account webhook")
    parsed = Parsed()
    for entry in body["entry"]:
        for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
            if not isinstance(change, dict) or change.get("field") != "messages":
                continue
            value = change.get("value")
            if not isinstance(value, dict):
                continue
            number = (value.get("metadata") or {}).get("phone_number_id", "")
            if phone_number_id and number and str(number) != phone_number_id:
                continue
            names = {c.get("wa_id"): (c.get("profile") or {}).get("name", "")
                     for c in value.get("contacts") or [] if isinstance(c, dict)}
            for message in value.get("messages") or []:
                event = _message(message, names)
                if event is not None:
                    parsed.events.append(event)
                    at = event.received_at.isoformat(timespec="microseconds")
                    parsed.inbound[event.ref.external_id] = max(at, parsed.inbound.get(event.ref.external_id, ""))
            for status in value.get("statuses") or []:
                receipt = _receipt(status)
                if receipt is not None:
                    parsed.receipts.append(receipt)
    return parsed


def _when(timestamp: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(timestamp), timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):  # OSError: beyond the platform's time_t
        return datetime.now(timezone.utc)


def _message(message: Any, names: dict[str, str]) -> Event | None:
    if not isinstance(message, dict):
        return None
    sender, wamid = message.get("from"), message.get("id")
    if not isinstance(sender, str) or not sender or not isinstance(wamid, str) or not wamid:
        return None
    ref = ResidentRef(channel=NAME, external_id=sender)
    common: dict[str, Any] = {"display_name": names.get(sender, ""), "raw": message,
                              "received_at": _when(message.get("timestamp"))}
    kind = message.get("type")
    content = message.get(kind) if isinstance(kind, str) else None
    content = content if isinstance(content, dict) else {}
    match kind:
        case "text" if isinstance(content.get("body"), str):
            return text_event(ref, wamid, content["body"], **common)
        case "image" if isinstance(content.get("id"), str):
            mime = content.get("mime_type", "image/jpeg")
            if mime.split(";")[0] in IMAGE_TYPES:
                photo = Photo(remote_id=content["id"], mime_type=mime.split(";")[0])
                caption = content.get("caption", "")
                return Event(ref=ref, update_id=wamid, kind=Kind.PHOTOS, photos=(photo,),
                             text=caption if isinstance(caption, str) else "", **common)
        case "location":
            try:
                location = Location(latitude=content["latitude"], longitude=content["longitude"])
            except (KeyError, ValueError):
                location = None
            if location is not None:
                return Event(ref=ref, update_id=wamid, kind=Kind.LOCATION, location=location, **common)
        case "interactive":
            reply = content.get(content.get("type", "")) if content.get("type") in ("button_reply", "list_reply") \
                else None
            payload = reply.get("id") if isinstance(reply, dict) else None
            if _is_payload(payload):
                return Event(ref=ref, update_id=wamid, kind=Kind.BUTTON, payload=payload, **common)
        case "button":  # a quick-reply button of a template message
            if _is_payload(content.get("payload")):
                return Event(ref=ref, update_id=wamid, kind=Kind.BUTTON, payload=content["payload"], **common)
        case "contacts":
            cards = message.get("contacts") or []
            phones = [p for card in cards if isinstance(card, dict) for p in card.get("phones") or []
                      if isinstance(p, dict) and p.get("phone")]
            if phones:
                own = next((p for p in phones if p.get("wa_id") == sender), None)
                phone = (own or phones[0])["phone"]
                return Event(ref=ref, update_id=wamid, kind=Kind.CONTACT,
                             contact=Contact(phone=phone, verified=own is not None), **common)
    return Event(ref=ref, update_id=wamid, kind=Kind.UNSUPPORTED, **common)


def _is_payload(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value.encode()) <= MAX_PAYLOAD_BYTES


def _receipt(status: Any) -> Receipt | None:
    if not isinstance(status, dict) or not isinstance(status.get("id"), str) \
            or status.get("status") not in tuple(WhatsAppStatus):
        return None
    errors = status.get("errors") or [{}]
    error = errors[0] if isinstance(errors[0], dict) else {}
    code = error.get("code")
    return Receipt(message_id=status["id"], status=WhatsAppStatus(status["status"]),
                   recipient_id=str(status.get("recipient_id", "")),
                   at=_when(status.get("timestamp")).isoformat(timespec="microseconds"),
                   error_code=code if isinstance(code, int) else None,
                   error_title=str(error.get("title", "")))
