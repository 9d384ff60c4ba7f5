"""Every webhook reads the whole body, however it arrives, and a signed body it cannot read is
kept once as a dead letter and acknowledged, never answered 500 for the platform to retry forever."""
from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from tests import stored
from tests.drivers import wait_handled
from tests.drivers.webhooks import CHANNELS, webhook
from tests.journey import last_buttons, onboard
from tests.segments import SEGMENT, post_in_segments

# maxapi warns that a webhook URL without HTTPS is unencrypted; the tests' loopback one is.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:maxapi")

PROPOSAL = ("Предлагаю обустроить парк у пруда: поставить скамейки со спинками, фонари вдоль главной "
            "аллеи, урны у каждого входа и детскую площадку с качелями. ") * 12
LIMIT_SETTING = {"vk": "SOUCHASTIE_VK_CALLBACK_MAX_BODY_BYTES", "gateway": "SOUCHASTIE_GATEWAY_MAX_BODY_BYTES"}


def database(hook) -> stored.InFile:
    return stored.InFile(hook.app.settings.storage.path)


def dead_letters(hook) -> list[tuple[str, str]]:
    return database(hook).rows("inbox", "payload", "error", order_by="id", channel=hook.channel, dead_at=stored.SET)


async def post(hook, body: bytes, chunked: bool = False) -> tuple[int, bytes]:
    return await post_in_segments(hook.url, body, hook.headers(body), chunked=chunked)


# -- bodies in pieces -----------------------------------------------------------------------------

@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("channel", CHANNELS)
async def test_a_long_proposal_sent_in_pieces_arrives_whole(tmp_path, channel, chunked):
    async with webhook(channel, tmp_path) as hook:
        resident = hook.world.resident(1)
        await onboard(resident)
        assert "nav:cancel" in last_buttons(await resident.press("menu:propose"))
        body, update_id = hook.text(resident, PROPOSAL)
        assert len(body) > 2 * SEGMENT and len(PROPOSAL.encode()) > 3000

        status, answer = await post(hook, body, chunked)

        assert status == 200, answer
        await wait_handled(hook.app, channel, update_id)
        assert "prop:confirm" in last_buttons(resident.new_messages())
        await resident.press("prop:confirm")
        assert database(hook).values("proposals", "text") == [PROPOSAL.strip()]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("channel", CHANNELS)
async def test_a_body_over_the_channels_limit_is_refused_with_413_and_not_kept(tmp_path, channel, chunked):
    setting = LIMIT_SETTING.get(channel, f"SOUCHASTIE_{channel.upper()}_WEBHOOK_MAX_BODY_BYTES")
    async with webhook(channel, tmp_path, **{setting: "2048"}) as hook:
        body, _ = hook.text(hook.world.resident(2), PROPOSAL)
        status, _ = await post(hook, body, chunked)
        assert status == 413
        assert database(hook).count("inbox") == 0


# -- signed bodies that cannot be read ----------------------------------------------------------

NOT_READABLE = [
    b"{not json",
    b"\xff\xfe{}",                                   # not UTF-8
    b'{"text": "\xed\xa0\x80"}',                     # a lone surrogate, encoded as UTF-8 bytes
    b'{"update_id": 1, "n": ' + b"9" * 5000 + b"}",  # a number json.loads refuses with ValueError
    b'{"update_id": 1, "n": 1e999}',                 # a number beyond a double
    b"[" * 5000 + b"]" * 5000,                       # deeper than Python's stack
]

# JSON that passes each platform's check but has another shape than the platform documents.
WRONG_SHAPES = {
    "vk": [
        {"type": 5, "object": {}},
        {"type": "message_new", "object": "not an object"},
        {"type": "message_new", "event_id": "e1", "object": {
            "message": {"from_id": 500001, "peer_id": 500001, "id": 1, "text": "", "attachments": 5}}},
        {"type": "message_new", "event_id": "e2", "object": {
            "message": {"from_id": 500001, "peer_id": 500001, "id": 2, "text": "Привет"},
            "client_info": {"button_actions": 7, "inline_keyboard": True}}},
        {"type": "message_new", "event_id": "e3", "object": {
            "message": {"from_id": 500001, "peer_id": 500001, "id": 3, "text": "Привет"},
            "client_info": {"lang_id": [0]}}},
        {"type": "message_new", "object": json.loads("[" * 100 + "]" * 100)},
    ],
    "max": [
        [1, 2],
        {"update_type": "message_created"},
        {"update_type": "bot_started", "user": {"name": "без id"}},
        {"update_type": "message_callback", "callback": {"callback_id": 5, "user": {"user_id": 1}}},
    ],
    "telegram": [
        [1, 2],
        {"message": {"text": "без update_id"}},
        {"update_id": "5", "message": {}},
        {"update_id": 7, "message": json.loads("[" * 100 + "]" * 100)},
    ],
    "ok": [
        [1, 2],
        {"webhookType": "MESSAGE_CREATED"},
        {"webhookType": 5, "sender": {"user_id": "user:1"}},
    ],
    "whatsapp": [
        {"object": "page", "entry": []},
        {"object": "whatsapp_business_account", "entry": 5},
        {"object": "whatsapp_business_account", "entry": [{"changes": 5}]},
        {"object": "whatsapp_business_account", "entry": [{"changes": [
            {"field": "messages", "value": {"metadata": ["not", "an", "object"]}}]}]},
        {"object": "whatsapp_business_account", "entry": [{"changes": [
            {"field": "messages", "value": {"statuses": [{"id": "wamid.1", "status": "failed",
                                                          "errors": {"code": 1}}]}}]}]},
        {"object": "whatsapp_business_account", "entry": [{"changes": [
            {"field": "messages", "value": {"contacts": [{"wa_id": "7", "profile": "Анна"}]}}]}]},
        {"object": "whatsapp_business_account", "entry": [{"changes": [
            {"field": "messages", "value": {"messages": [
                {"from": "79140000001", "id": "wamid.2", "type": "image", "image": {"id": "m", "mime_type": 5}}]}}]}]},
    ],
    "gateway": [
        [],
        {"id": "1", "user": {"id": "u"}},
        {"id": "2", "user": {"id": "u"}, "text": 5},
    ],
}


def unreadable_bodies(hook) -> list[bytes]:
    shapes = [hook.signed(value) for value in WRONG_SHAPES[hook.channel]]
    return shapes if hook.channel == "vk" else NOT_READABLE + shapes  # VK's secret is in the JSON


@pytest.mark.parametrize("channel", CHANNELS)
async def test_a_signed_body_that_cannot_be_read_is_kept_once_as_a_dead_letter_and_acknowledged(tmp_path, channel):
    async with webhook(channel, tmp_path) as hook:
        bodies = unreadable_bodies(hook)
        for body in bodies:
            for _attempt in (1, 2):  # the platform's retry of the same body is kept once
                status, answer = await post(hook, body)
                if channel == "gateway":  # its protocol: 4xx with a reason means "fix it, do not resend"
                    assert status in (400, 422) and json.loads(answer)["reason"], answer
                else:
                    assert status == 200, (body[:80], answer)
        kept = dead_letters(hook)
        assert len(kept) == len(bodies)
        assert all(error for _, error in kept)
        assert database(hook).count("inbox", dead_at=None) == 0
        if channel != "vk":  # VK's are kept without their secret (see the next test)
            expected = [body.decode("utf-8", "replace") for body in bodies]
            assert [payload for payload, _ in kept] == expected

        resident = hook.world.resident(3)
        body, update_id = hook.text(resident, "/start")
        status, _ = await post(hook, body)
        assert status == 200
        await wait_handled(hook.app, channel, update_id)
        assert "consent:yes" in last_buttons(resident.new_messages())


@pytest.mark.parametrize("channel", CHANNELS)
async def test_no_channels_secret_is_in_what_the_inbox_keeps(tmp_path, channel):
    """Every payload the inbox is given (copied aside by a trigger before processing clears it)."""
    async with webhook(channel, tmp_path) as hook:
        database(hook).watch_inbox_payloads()
        resident = hook.world.resident(4)
        body, update_id = hook.text(resident, "/start")
        assert (await post(hook, body))[0] == 200
        await wait_handled(hook.app, channel, update_id)
        unreadable = hook.signed(WRONG_SHAPES[channel][-1])
        assert (await post(hook, unreadable))[0] in (200, 422)
        seen = [payload for payload in database(hook).inbox_payloads() if payload]
        assert len(seen) == 2
        secrets = _secrets(getattr(hook.app.settings, channel))
        assert secrets or channel == "ok"  # OK signs nothing: its proof is the sender's network
        for payload in seen:
            assert not any(secret in payload for secret in secrets), payload
        if channel == "vk":
            event = json.loads(seen[0])
            assert event["raw"]["type"] == "message_new" and "secret" not in event["raw"]
            assert "secret" not in json.loads(seen[1])


def _secrets(section) -> list[str]:
    """Every secret of a channel's settings: tokens, signing keys, webhook secrets."""
    values = [getattr(section, name) for name in type(section).model_fields]
    return [value.get_secret_value() for value in values if isinstance(value, SecretStr)]
