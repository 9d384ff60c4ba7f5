"""Every webhook, with a valid signature (or secret, or address), answers any body with less than
500: raw bytes, any JSON, and the platform's documented payloads with parts replaced, dropped or
added. What it stores is processed, nothing crashes behind the answer, and afterwards a new
resident is still answered."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import given, strategies as st

from tests.drivers.vk import SECRET as VK_SECRET
from tests.fakes.vk import FakeVk
from tests.fuzz.budget import budget
from tests.fuzz.platforms import payloads
from tests.fuzz.strategies import dumps, odd_text
from tests.fuzz.world import Everything

VK_GROUP = FakeVk.group_id  # the community the bot serves in the tests
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("still_answering"),
              pytest.mark.filterwarnings("ignore::UserWarning:maxapi")]




@dataclass(frozen=True)
class Webhook:
    path: Callable[[Everything], str]
    headers: Callable[[Everything, bytes], dict[str, str]]


WEBHOOKS = {
    "vk": Webhook(lambda bot: bot.app.settings.vk.callback_path, lambda bot, body: {}),
    "telegram": Webhook(lambda bot: bot.app.settings.telegram.webhook_path, lambda bot, body: bot.telegram_headers()),
    "max": Webhook(lambda bot: bot.app.settings.max.webhook_path, lambda bot, body: bot.max_headers()),
    "whatsapp": Webhook(lambda bot: bot.app.settings.whatsapp.webhook_path, Everything.whatsapp_headers),
    "gateway": Webhook(lambda bot: bot.app.settings.gateway.inbound_path, Everything.gateway_headers),
    # OK signs nothing: the proof is the address, and 127.0.0.1 is in ok.allowed_networks.
    "ok": Webhook(lambda bot: bot.app.settings.ok.webhook_path, lambda bot, body: {}),
}


@st.composite
def bodies(draw, name: str) -> bytes:
    """A body for ``name``'s webhook: mostly a documented payload mutated, sometimes any JSON,
    sometimes bytes; for VK, the Callback secret and community are put in, as VK does."""
    value = draw(payloads(name))
    if name == "vk" and isinstance(value, dict) and draw(st.integers(0, 9)):
        value.update(secret=VK_SECRET, group_id=VK_GROUP)
    body = dumps(value, draw(st.booleans()))
    return draw(st.one_of(st.just(body), st.just(body), st.just(body), st.binary(max_size=120),
                          st.integers(0, len(body)).map(lambda cut: body[:cut])))


async def delivered(bot: Everything, name: str, body: bytes) -> None:
    webhook = WEBHOOKS[name]
    answer = await bot.post(webhook.path(bot), body, webhook.headers(bot, body))
    assert answer.status < 500, (answer.status, answer.text[:300])
    tracebacks = await bot.settled()
    assert not tracebacks, tracebacks


@pytest.mark.parametrize("name", sorted(WEBHOOKS))
@budget(35)
@given(data=st.data())
async def test_a_signed_webhook_answers_any_body_below_500(bot, name, data):
    body = data.draw(bodies(name), "body")
    await delivered(bot, name, body)


# The smallest examples of each finding, tried on every run whatever the strategies draw.
FINDINGS = [
    ("max", b"9" * 4301),
    ("telegram", b"9" * 4301),
    ("whatsapp", b"9" * 4301),
    ("gateway", b"9" * 4301),
    ("ok", b"9" * 4301),
    ("whatsapp", dumps({"object": "whatsapp_business_account", "entry": [{"changes": [
        {"field": "messages", "value": {"metadata": True}}]}]})),
    ("whatsapp", dumps({"object": "whatsapp_business_account", "entry": [{"changes": [
        {"field": "messages", "value": {"messages": [{"from": "1", "id": "w", "type": "image",
                                                     "image": {"id": "m", "mime_type": 0}}]}}]}]})),
    ("vk", dumps({"type": "message_new", "secret": VK_SECRET, "group_id": VK_GROUP,
                  "object": {"message": {"from_id": 1, "peer_id": 1, "attachments": 1}}})),
    ("vk", dumps({"type": "message_new", "secret": VK_SECRET, "group_id": VK_GROUP,
                  "object": {"message": {"from_id": 1, "peer_id": 1, "text": "x"},
                             "client_info": {"button_actions": True, "inline_keyboard": True}}})),
    ("telegram", dumps({"update_id": 1, "message": {"from": {"id": 1}, "chat": {"type": "private"},
                                                    "text": "\ud800"}})),
]


@pytest.mark.parametrize("name, body", FINDINGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(FINDINGS)])
async def test_the_findings_are_answered_below_500(bot, name, body):
    await delivered(bot, name, body)


@budget(20)
@given(mode=st.one_of(st.just("subscribe"), odd_text(12, long=False)),
       token=st.one_of(st.just("fake-verify-token"), odd_text(12, long=False)),
       challenge=st.one_of(st.integers().map(str), odd_text(30, long=False)))
async def test_the_whatsapp_verification_answers_any_query_below_500(bot, mode, token, challenge):
    def encode(text: str) -> str:
        return quote_from_bytes(text.encode("utf-8", "surrogatepass"), safe="")
    query = f"hub.mode={encode(mode)}&hub.verify_token={encode(token)}&hub.challenge={encode(challenge)}"
    answer = await bot.request("GET", f"{bot.app.settings.whatsapp.webhook_path}?{query}")
    assert answer.status < 500, (answer.status, answer.text[:300])
