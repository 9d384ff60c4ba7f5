"""The one retry policy (bot/core/retrying.py) over the one classification (bot/core/delivery_errors.py),
against the fake gateway on loopback: what is tried again, how long it waits, what is raised."""
from __future__ import annotations

import json
import logging

import aiohttp
import pytest

from bot.core.channel import DeliveryError
from bot.core.retrying import RetryPolicy, with_retries
from channels.gateway.protocol import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, sign
from channels.gateway.transport import Answered, classify
from tests.fakes.gateway import SECRET, FakeGateway

BACKOFF = 0.01


@pytest.fixture
async def gateway():
    fake = await FakeGateway().start()
    fake.slow_seconds = 1.0
    async with aiohttp.ClientSession() as session:
        yield fake, session
    await fake.close()


async def post(fake: FakeGateway, session: aiohttp.ClientSession, key: str) -> None:
    """One signed reply to resident u1, as the gateway channel sends it; non-2xx raises."""
    body = json.dumps({"id": key, "user": {"id": "u1"}, "text": "Привет"}).encode()
    headers = {SIGNATURE_HEADER: sign(SECRET, body), IDEMPOTENCY_HEADER: key,
               "Content-Type": "application/json"}
    async with session.post(fake.outbound_url, data=body, headers=headers,
                            timeout=aiohttp.ClientTimeout(total=0.3)) as response:
        if response.status >= 300:
            raise Answered(response.status, await response.text(), response.headers.get("Retry-After"))


async def send(gateway, policy: RetryPolicy, key: str = "r1") -> None:
    fake, session = gateway
    await with_retries(lambda: post(fake, session, key), classify, policy, what="test")


def pauses(caplog) -> list[float]:
    """The pauses the policy chose, as it logs them before each sleep."""
    return [r.args[-1] for r in caplog.records if r.name == "bot.core.retrying"]


def policy(**overrides) -> RetryPolicy:
    return RetryPolicy(**{"attempts": 4, "backoff_seconds": BACKOFF, **overrides})


async def test_a_429_is_waited_out_for_the_time_it_names_then_delivered(gateway, caplog):
    fake, _ = gateway
    fake.fail("rate_limit")  # 429 with Retry-After: 0.1
    caplog.set_level(logging.INFO, "bot.core.retrying")
    await send(gateway, policy())
    assert pauses(caplog) == [0.1]
    assert fake.calls == 2 and len(fake.sent_to("u1")) == 1


async def test_a_429_asking_longer_than_allowed_is_given_up_at_once_with_its_wait(gateway):
    fake, _ = gateway
    fake.fail("rate_limit")
    with pytest.raises(DeliveryError) as raised:
        await send(gateway, policy(max_retry_after_seconds=0.05))
    assert raised.value.retry_after == 0.1 and not raised.value.permanent
    assert fake.calls == 1 and fake.sent_to("u1") == []


async def test_server_errors_are_retried_with_a_doubling_pause(gateway, caplog):
    fake, _ = gateway
    fake.fail("server_error", times=2)
    caplog.set_level(logging.INFO, "bot.core.retrying")
    await send(gateway, policy())
    assert pauses(caplog) == [BACKOFF, 2 * BACKOFF]
    assert fake.calls == 3 and len(fake.sent_to("u1")) == 1


async def test_the_tries_are_bounded_and_the_last_failure_is_transient(gateway, caplog):
    fake, _ = gateway
    fake.fail("server_error", times=10)
    caplog.set_level(logging.INFO, "bot.core.retrying")
    with pytest.raises(DeliveryError) as raised:
        await send(gateway, policy(attempts=3, max_backoff_seconds=1.5 * BACKOFF))
    assert not raised.value.permanent and not raised.value.unknown and raised.value.retry_after is None
    assert fake.calls == 3 and pauses(caplog) == [BACKOFF, 1.5 * BACKOFF]


async def test_a_time_out_after_sending_is_unknown_and_not_repeated_without_a_key(gateway):
    fake, _ = gateway
    fake.fail("timeout")  # the gateway records the reply, then answers too late
    with pytest.raises(DeliveryError) as raised:
        await send(gateway, policy(retry_unknown=False))
    assert raised.value.unknown and not raised.value.permanent
    assert fake.calls == 1 and len(fake.sent_to("u1")) == 1


async def test_a_time_out_is_repeated_where_an_idempotency_key_makes_it_safe(gateway):
    fake, _ = gateway
    fake.fail("timeout")
    await send(gateway, policy(retry_unknown=True))
    assert fake.calls == 2 and fake.repeats == 1 and len(fake.sent_to("u1")) == 1


async def test_a_resident_who_blocked_the_bot_is_permanent_and_not_tried_again(gateway):
    fake, _ = gateway
    fake.fail("blocked")
    with pytest.raises(DeliveryError) as raised:
        await send(gateway, policy())
    assert raised.value.permanent and fake.calls == 1


async def test_a_refused_request_is_not_tried_again_and_not_the_residents_fault(gateway):
    fake, _ = gateway
    fake.fail("bad_request")
    with pytest.raises(DeliveryError) as raised:
        await send(gateway, policy())
    # 400: the gateway counts it final for the resident (its protocol says so) — permanent
    assert fake.calls == 1 and raised.value.permanent
