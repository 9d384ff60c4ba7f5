"""Each pushing platform as the fuzz tests see it: the payloads it documents, what its channel
does with a decoded body before storing it (``reading``), and the error that reading declares
for a body it refuses (``refusal``; ``None`` when the channel promises to read anything).

``reading`` is the channel's own parse functions, called in the order its webhook calls them,
so a test can tell in advance whether a body would make the webhook raise.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Callable

from hypothesis import strategies as st

from bot.events import Event
from channels.gateway.parse import BadEvent, parse_event
from channels.max.parse import NotAnUpdate, parse_update as max_update
from channels.ok.parse import NotAWebhook, parse_webhook
from channels.telegram.parse import callback_query_id, parse_update as telegram_update, update_id
from channels.vk.parse import client_support, to_event
from channels.whatsapp.parse import Malformed, parse_body
from tests.fakes.whatsapp import PHONE_NUMBER_ID
from tests.fuzz.strategies import DEAD_URL, documented, json_values, mutated

USER = {"id": "79001234567", "name": "Анна Петрова", "language": "ru"}
# The gateway's own documentation (docs/gateway.md): one event per action.
GATEWAY_EVENTS = [
    {"version": 1, "id": "wa-3EB0C767D26A1D5C4B1A", "user": USER, "text": "Поставить скамейки у пруда"},
    {"version": 1, "id": "evt-2", "user": USER, "button": "menu:propose"},
    {"id": "evt-3", "user": USER, "location": {"latitude": 50.0958, "longitude": 118.0317}},
    {"id": "evt-4", "user": {"id": "79001234567"}, "photo_url": DEAD_URL},
    {"id": "evt-5", "user": USER, "contact": {"phone": "+79001234567", "verified": True}},
    {"id": "evt-6", "user": USER, "start": "poster_12"},
    {"id": "evt-7", "user": USER, "reachable": False},
]


@dataclass(frozen=True)
class Platform:
    name: str
    documented: list[Any]
    reading: Callable[[Any], list[Event]]
    refusal: type[Exception] | None


def _vk(update: Any) -> list[Event]:
    if not isinstance(update, dict):  # the callback endpoint refuses anything else with 400
        return []
    client_support(update)
    event = to_event(update)
    return [event] if event is not None else []


def _telegram(update: Any) -> list[Event]:
    if not isinstance(update, dict) or update_id(update) is None:  # refused with 400 before parsing
        return []
    event = telegram_update(update)
    callback_query_id(update)
    return [event] if event is not None else []


def _whatsapp(body: Any) -> list[Event]:
    return parse_body(body, PHONE_NUMBER_ID).events


def _ok(webhook: Any) -> list[Event]:
    event = parse_webhook(webhook)
    return [event] if event is not None else []


def _vk_documented() -> list[Any]:
    updates = documented("vk", ("message_", "confirmation"))
    return updates + [u for envelope in documented("vk", ("longpoll_response",)) for u in envelope["updates"]]


def _max_documented() -> list[Any]:
    updates = documented("max", ("webhook_",))
    return updates + [u for envelope in documented("max", ("updates_response",)) for u in envelope["updates"]]


def _whatsapp_documented() -> list[Any]:
    return [body for body in documented("whatsapp", ("webhook_",)) if "object" in body]


PLATFORMS = {
    "vk": Platform("vk", _vk_documented(), _vk, None),
    "telegram": Platform("telegram", documented("telegram", ("update_",)), _telegram, None),
    "max": Platform("max", _max_documented(), max_update, NotAnUpdate),
    "whatsapp": Platform("whatsapp", _whatsapp_documented(), _whatsapp, Malformed),
    "gateway": Platform("gateway", GATEWAY_EVENTS, lambda body: [parse_event(body)], BadEvent),
    "ok": Platform("ok", documented("ok", ("webhook_",)), _ok, NotAWebhook),
}


def reading_fails(platform: Platform, body: Any) -> bool:
    """Whether the channel's reading of ``body`` raises anything but its declared refusal."""
    try:
        platform.reading(body)
    except Exception as error:  # noqa: BLE001 — which exception is exactly the question
        return platform.refusal is None or not isinstance(error, platform.refusal)
    return False


@cache  # built once per platform: a strategy is validated when first drawn from
def payloads(name: str, huge: bool = True) -> st.SearchStrategy[Any]:
    """What reaches ``name``'s channel: mostly a documented payload mutated, sometimes any JSON
    (``huge``: with numbers of more digits than ``json.loads`` takes, for raw bodies)."""
    documents = PLATFORMS[name].documented
    return st.one_of(mutated(documents, huge=huge), mutated(documents, huge=huge), json_values(huge=huge))
