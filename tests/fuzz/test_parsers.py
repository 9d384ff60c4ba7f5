"""Each channel's parser, given its platform's documented payloads with parts replaced, dropped or
added, returns events the inbox can store, or refuses the payload with the error the channel
declares for that; it never raises anything else (which a webhook would answer with 500 and the
platform retry forever, or a long poll skip with the update lost)."""
from __future__ import annotations

import json
import traceback

import pytest
from hypothesis import given, strategies as st

from bot.core.events import Event
from tests.fuzz.budget import budget
from tests.fuzz.platforms import PLATFORMS, payloads
from tests.fuzz.strategies import dumps, single_changes


@pytest.mark.parametrize("name", sorted(PLATFORMS))
@budget(100)
@given(data=st.data())
def test_a_parser_returns_storable_events_or_its_own_refusal(name, data):
    platform = PLATFORMS[name]
    drawn = data.draw(payloads(name, huge=False), "payload")
    payload = json.loads(dumps(drawn))  # as the channel gets it: NaN, 1e999 and -0 decoded
    try:
        events = platform.reading(payload)
    except Exception as error:  # noqa: BLE001 — which exception is exactly the question
        if platform.refusal is not None and isinstance(error, platform.refusal):
            assert str(error), "a refusal says why (it is logged and kept with the dead letter)"
            return
        raise
    for event in events:  # what the inbox stores, and what the worker reads back
        assert Event.model_validate_json(event.model_dump_json()) == event


@pytest.mark.parametrize("name", sorted(PLATFORMS))
def test_every_field_of_every_documented_payload_may_have_any_shape(name):
    """Not drawn at random but all of them: each field of each documented payload replaced by a
    value of each shape, or left out; the parser refuses or reads every one."""
    platform = PLATFORMS[name]
    failures: dict[tuple[str, str], str] = {}
    for number, document in enumerate(platform.documented):
        for changed, path, shape in single_changes(document):
            try:
                for event in platform.reading(changed):
                    assert Event.model_validate_json(event.model_dump_json()) == event
            except Exception as error:  # noqa: BLE001 — which exception is exactly the question
                if platform.refusal is not None and isinstance(error, platform.refusal):
                    continue
                where = traceback.extract_tb(error.__traceback__)[-1]
                failures.setdefault((type(error).__name__, f"{where.filename}:{where.lineno}"),
                                    f"payload {number}, {'/'.join(map(str, path))} = {shape!r}: {error}")
    assert not failures, "\n".join(f"{kind} at {line}: {example}" for (kind, line), example in failures.items())
