"""The SMS client speaks each provider's request and reads each provider's answer: what the
gateway accepted, and every failure as the one reason the resident's answer depends on."""
from __future__ import annotations

import pytest

from bot.config import load_settings
from bot.sms import SmsError, SmsGateway
from tests.fakes.sms import FakeSmsGateway

SHAPES = ["smsru", "smsc", "smsaero", "json"]


@pytest.fixture
async def fake():
    running = await FakeSmsGateway().start()
    yield running
    await running.close()


def gateway(fake: FakeSmsGateway, shape: str, **settings: str) -> SmsGateway:
    return SmsGateway(load_settings(None, fake.environment(shape, **settings)).sms)


@pytest.mark.parametrize("shape", SHAPES)
async def test_each_provider_gets_the_number_the_text_and_the_sender_it_expects(fake, shape):
    client = gateway(fake, shape)
    try:
        message_id = await client.send("+79141234567", "Код: 123456. Никому его не сообщайте.")
    finally:
        await client.close()
    assert message_id
    [sms] = fake.sent
    assert (sms.shape, sms.to.lstrip("+"), sms.code, sms.sender) == (shape, "79141234567", "123456", "Park")


@pytest.mark.parametrize("shape", SHAPES)
async def test_a_wrong_key_is_a_failure_and_nothing_is_sent(fake, shape):
    client = gateway(fake, shape, token="not-the-key")
    try:
        with pytest.raises(SmsError) as refused:
            await client.send("+79141234567", "Код: 123456.")
    finally:
        await client.close()
    assert refused.value.reason == "failed" and fake.sent == []


@pytest.mark.parametrize("shape, reason", [("smsru", "bad_number"), ("smsc", "bad_number"),
                                           ("smsaero", "failed"), ("json", "bad_number")])
async def test_a_number_the_provider_refuses_is_told_apart_where_its_answer_says_so(fake, shape, reason):
    fake.fail("bad_number")
    client = gateway(fake, shape)
    try:
        with pytest.raises(SmsError) as refused:
            await client.send("+79141234567", "Код: 123456.")
    finally:
        await client.close()
    assert refused.value.reason == reason


@pytest.mark.parametrize("shape", SHAPES)
async def test_a_server_error_is_a_failure_and_a_time_out_is_unknown(fake, shape):
    fake.fail("server_error")
    fake.fail("timeout")
    fake.slow_seconds = 1.0
    client = gateway(fake, shape, request_timeout_seconds="0.3")
    try:
        with pytest.raises(SmsError) as broken:
            await client.send("+79141234567", "Код: 111111.")
        with pytest.raises(SmsError) as late:
            await client.send("+79141234567", "Код: 222222.")
        assert await client.send("+79141234567", "Код: 333333.")  # the same session works on
    finally:
        await client.close()
    assert (broken.value.reason, late.value.reason) == ("failed", "unknown")
    assert [sms.code for sms in fake.sent] == ["222222", "333333"]  # the late one did reach the gateway


async def test_an_unreachable_gateway_is_a_failure(fake):
    client = gateway(fake, "smsru")
    await fake.close()
    try:
        with pytest.raises(SmsError) as refused:
            await client.send("+79141234567", "Код: 123456.")
    finally:
        await client.close()
    assert refused.value.reason == "failed"


def test_a_provider_without_its_key_or_login_stops_the_bot_at_start():
    from bot.config import ConfigError, check_runnable

    with pytest.raises(ConfigError, match="SOUCHASTIE_SMS_TOKEN"):
        check_runnable(load_settings(None, {"SOUCHASTIE_SMS_PROVIDER": "smsru"}))
    with pytest.raises(ConfigError, match="sms.login"):
        load_settings(None, {"SOUCHASTIE_SMS_PROVIDER": "smsaero", "SOUCHASTIE_SMS_TOKEN": "k"})
    with pytest.raises(ConfigError, match="sms.url"):
        load_settings(None, {"SOUCHASTIE_SMS_PROVIDER": "json", "SOUCHASTIE_SMS_TOKEN": "k"})
