"""Every channel's webhook as its platform calls it: the address, the signature, a resident's text.

``webhook(channel, tmp_path)`` starts the bot with that channel taking webhooks, beside its fake
platform, and yields a ``Webhook``. ``headers(body)`` are what the platform adds so that its
check accepts ``body``; ``signed(value)`` is a JSON value as a body that check accepts (VK's
secret travels inside the body, so there the value is put in an envelope with it);
``text(resident, text)`` is the body the platform sends for a resident's text message, with the
update id the inbox will know it by.
"""
from __future__ import annotations

import json
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Callable

from channels.gateway.protocol import SIGNATURE_HEADER, sign
from channels.max.parse import parse as max_update
from channels.ok.parse import update_id as ok_update_id
from tests.drivers import eventually, load_world
from tests.process import free_port

CHANNELS = ["vk", "max", "telegram", "ok", "whatsapp", "gateway"]
JSON = {"Content-Type": "application/json"}
MAX_SECRET = "webhook-Secret_42"
TELEGRAM_SECRET = "s3cret-Token_for-tests"


@dataclass
class Webhook:
    channel: str
    world: Any
    url: str
    headers: Callable[[bytes], dict[str, str]]
    envelope: Callable[[Any], Any]
    text: Callable[[Any, str], tuple[bytes, str]]

    @property
    def app(self):
        return self.world.app

    def signed(self, value: Any) -> bytes:
        return _json(self.envelope(value))


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def _as_is(value: Any) -> Any:
    return value


def _environment(channel: str) -> dict[str, str]:
    port = free_port()
    public = {"SOUCHASTIE_SERVER_PORT": str(port), "SOUCHASTIE_SERVER_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    match channel:
        case "vk":
            return {"mode": "callback"}
        case "max":
            return {"SOUCHASTIE_MAX_MODE": "webhook", "SOUCHASTIE_MAX_WEBHOOK_SECRET": MAX_SECRET, **public}
        case "telegram":
            return {"SOUCHASTIE_TELEGRAM_MODE": "webhook", "SOUCHASTIE_TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
                    **public}
    return {}


def _describe(channel: str, world: Any) -> Webhook:
    match channel:
        case "vk":
            from tests.drivers.vk import SECRET

            def envelope(value: Any) -> Any:
                return {**value, "group_id": world.fake.group_id, "secret": SECRET}

            def text(resident, words):
                update = resident.message_new(words)
                return _json(envelope(update)), update["event_id"]
            return Webhook(channel, world, world.callback_url, lambda body: JSON, envelope, text)
        case "max":
            def text(resident, words):
                update = resident.message(words)
                return _json(update), max_update(update)[-1].update_id
            return Webhook(channel, world, world.fake.subscriptions[-1]["url"],
                           lambda body: {**JSON, "X-Max-Bot-Api-Secret": MAX_SECRET}, _as_is, text)
        case "telegram":
            def text(resident, words):
                update = {"update_id": world.fake.next_update_id(), **resident.message(text=words)}
                return _json(update), str(update["update_id"])
            return Webhook(channel, world, world.fake.webhook["url"],
                           lambda body: {**JSON, "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}, _as_is, text)
        case "ok":
            def text(resident, words):
                webhook = resident.message(text=words)
                return _json(webhook), ok_update_id(webhook)
            return Webhook(channel, world, world.fake.subscriptions[-1], lambda body: JSON, _as_is, text)
        case "whatsapp":
            def text(resident, words):
                message = resident.message("text", text={"body": words})
                return _json(resident.body(message)), message["id"]
            return Webhook(channel, world, world.fake.webhook_url,
                           lambda body: {**JSON, "X-Hub-Signature-256": world.fake.sign(body)}, _as_is, text)
        case "gateway":
            def text(resident, words):
                event = resident.event(text=words)
                return _json(event), event["id"]
            return Webhook(channel, world, world.inbound_url,
                           lambda body: {**JSON, SIGNATURE_HEADER: sign(world.fake.secret, body)}, _as_is, text)
    raise ValueError(f"no webhook driver for {channel}")


@asynccontextmanager
async def webhook(channel: str, tmp_path: Path, **environment: str) -> AsyncIterator[Webhook]:
    async with load_world(channel)(tmp_path, **_environment(channel), **environment) as world:
        if channel == "telegram":
            await eventually(lambda: world.fake.webhook)
        if channel == "max":
            await eventually(lambda: world.fake.subscriptions)
        yield _describe(channel, world)
