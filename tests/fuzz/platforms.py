"""Each pushing platform as the fuzz tests see it: the payloads it documents, the one way its
channel reads an update or a body (``reading``: the parse module's entry point, as the webhook or
the long poll calls it), and the refusal that reading declares for what it cannot read.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Callable

from hypothesis import strategies as st

from bot.core.events import Event
from channels.gateway.parse import BadEvent, parse as gateway_event
from channels.max.parse import NotAnUpdate as MaxRefusal, parse as max_update
from channels.ok.parse import NotAWebhook, parse as ok_webhook
from channels.telegram.parse import NotAnUpdate as TelegramRefusal, parse as telegram_update, update_from_body
from channels.vk.parse import NotAnUpdate as VkRefusal, parse as vk_update
from channels.whatsapp.parse import Malformed, parse as whatsapp_webhook
from tests.fakes.whatsapp import PHONE_NUMBER_ID
from tests.fuzz.strategies import DEAD_URL, documented, dumps, json_values, mutated

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


# Each channel's one way in (its parse module's entry point), as its webhook or long poll calls it.

def _vk(update: Any) -> list[Event]:
    event = vk_update(update).event
    return [event] if event is not None else []


def _telegram(update: Any) -> list[Event]:
    event = telegram_update(update_from_body(dumps(update)))
    return [event] if event is not None else []


def _whatsapp(body: Any) -> list[Event]:
    return whatsapp_webhook(dumps(body), PHONE_NUMBER_ID).events


def _ok(webhook: Any) -> list[Event]:
    event = ok_webhook(dumps(webhook))
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
    "vk": Platform("vk", _vk_documented(), _vk, VkRefusal),
    "telegram": Platform("telegram", documented("telegram", ("update_",)), _telegram, TelegramRefusal),
    "max": Platform("max", _max_documented(), max_update, MaxRefusal),
    "whatsapp": Platform("whatsapp", _whatsapp_documented(), _whatsapp, Malformed),
    "gateway": Platform("gateway", GATEWAY_EVENTS, lambda body: [gateway_event(dumps(body))], BadEvent),
    "ok": Platform("ok", documented("ok", ("webhook_",)), _ok, NotAWebhook),
}


@cache  # built once per platform: a strategy is validated when first drawn from
def payloads(name: str, huge: bool = True) -> st.SearchStrategy[Any]:
    """What reaches ``name``'s channel: mostly a documented payload mutated, sometimes any JSON
    (``huge``: with numbers of more digits than ``json.loads`` takes, for raw bodies)."""
    documents = PLATFORMS[name].documented
    return st.one_of(mutated(documents, huge=huge), mutated(documents, huge=huge), json_values(huge=huge))
