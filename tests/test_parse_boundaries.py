"""Each channel's parse boundary tells every body apart: an event that can be stored and read
back, or the channel's ``Unparseable`` with a reason — never another exception, which would
answer the platform 500 and bring the same body back for days.

Bodies are the platforms' documented payloads with one value, anywhere in them, replaced by
arbitrary JSON: the wrong types and shapes a parser trips over, which random JSON alone would
rarely get past the first check to reach.
"""
from __future__ import annotations

import json
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.events import Event
from channels.body import Unparseable
from channels.gateway.parse import read_event
from channels.max.parse import parse_update as max_update, update_from_body as max_body
from channels.ok.parse import read_webhook as ok_webhook
from channels.telegram.parse import read_update as telegram_update, update_from_body as telegram_body
from channels.vk.parse import read_update as vk_update
from channels.whatsapp.parse import read_webhook as whatsapp_webhook
from tests.fakes import max as max_fake, ok as ok_fake, telegram as telegram_fake, vk as vk_fake
from tests.fakes import whatsapp as whatsapp_fake

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**63, max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


def events_of(result: Any) -> list[Event]:
    match result:
        case Event():
            return [result]
        case list():
            return result
        case None:
            return []
    return list(getattr(result, "events", None) or ([result.event] if getattr(result, "event", None) else []))


BOUNDARIES: dict[str, tuple[Callable[[bytes], Any], list[Any]]] = {
    "vk": (lambda body: vk_update(json.loads(body)),
           [vk_fake.fixture(n) for n in ("message_new_text.json", "message_new_photo_assembled.json",
                                         "message_new_geo_assembled.json", "message_event.json",
                                         "message_new_button_payload_assembled.json", "message_allow.json")]),
    "max": (lambda body: max_update(max_body(body)),
            [max_fake.fixture(n) for n in ("webhook_message_created_dialog_text_maxapi_docs.json",
                                           "webhook_message_callback.json", "webhook_bot_started.json",
                                           "webhook_message_callback_with_image_maxapi_docs.json")]),
    "telegram": (lambda body: telegram_update(telegram_body(body)),
                 [telegram_fake.fixture(n) for n in ("update_text_private.json", "update_contact_assembled.json",
                                                     "update_callback_query_private_assembled.json",
                                                     "update_location_assembled.json",
                                                     "update_my_chat_member_kicked_private.json")]),
    "ok": (ok_webhook, [ok_fake.fixture(n) for n in ("webhook_message_text.json", "webhook_callback.json",
                                                     "webhook_message_image.json", "webhook_message_location.json")]),
    "whatsapp": (lambda body: whatsapp_webhook(body, whatsapp_fake.PHONE_NUMBER_ID),
                 [whatsapp_fake.fixture(n) for n in ("webhook_text.json", "webhook_image.json",
                                                     "webhook_interactive_button_reply.json",
                                                     "webhook_status_failed.json")]),
    "gateway": (read_event, [{"version": 1, "id": "evt-1", "user": {"id": "42", "name": "Анна", "language": "ru"},
                              "text": "Поставить скамейки"},
                             {"id": "evt-2", "user": {"id": "42"}, "location": {"latitude": 50.1, "longitude": 118.0}},
                             {"id": "evt-3", "user": {"id": "42"}, "contact": {"phone": "+7900", "verified": True}}]),
}


def paths(value: Any, here: tuple = ()) -> list[tuple]:
    """Every place in a JSON value where another value could stand."""
    found = [here]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, here + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, here + (index,))
    return found


def replaced(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


@st.composite
def mutated(draw, samples: list[Any]) -> bytes:
    sample = draw(st.sampled_from(samples))
    path = draw(st.sampled_from(paths(sample)))
    return json.dumps(replaced(sample, path, draw(JSON_VALUES)), ensure_ascii=False).encode()


@pytest.mark.parametrize("channel", list(BOUNDARIES))
def test_every_body_is_an_event_that_can_be_stored_or_unparseable_with_a_reason(channel):
    read, samples = BOUNDARIES[channel]

    @settings(max_examples=150, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(mutated(samples))
    def check(body: bytes) -> None:
        try:
            result = read(body)
        except Unparseable as error:
            assert str(error)
            return
        for event in events_of(result):
            assert Event.model_validate_json(event.model_dump_json()) == event

    check()
