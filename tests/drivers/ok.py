"""The OK driver: a resident is an OK user writing to the group; the fake OK posts the webhooks.

The bot subscribes its webhook with the fake at start; a resident's action becomes a webhook
shaped like ``tests/fixtures/ok``, posted by the fake from 127.0.0.1 (the test's
``ok.allowed_networks``), and what the bot sent to the resident's chat since the last action is
read back from the fake's record.
"""
from __future__ import annotations

import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator

from bot.app import Application
from channels.ok.parse import update_id
from tests.drivers import BotMessage, RepliesFromFake, eventually, test_settings, wait_handled
from tests.fakes.ok import FakeOk
from tests.process import free_port

CHANNEL = "ok"
FIRST_USER_ID = 575_662_066_000


def as_bot_message(sent: dict[str, Any]) -> BotMessage:
    rows: list[list[dict[str, Any]]] = []
    for attachment in sent.get("attachments", []):
        if attachment.get("type") != "INLINE_KEYBOARD":
            continue
        for row in attachment["payload"]["keyboard"]["buttons"]:
            rows.append([{"label": b["text"],
                          **({"payload": b["payload"]} if b["type"] == "CALLBACK" else {}),
                          **({"url": b["url"]} if b["type"] == "LINK" else {}),
                          **({"request": "location"} if b["type"] == "REQUEST_GEO_LOCATION" else {}),
                          **({"request": "contact"} if b["type"] == "REQUEST_CONTACT" else {})} for b in row])
    return BotMessage(sent.get("text", ""), rows)


@dataclass
class OkResident(RepliesFromFake):
    world: "OkWorld"
    user_id: int
    name: str
    seen: int = 0

    @property
    def chat_id(self) -> str:
        return f"chat:C{self.user_id:x}"

    def webhook(self, kind: str = "MESSAGE_CREATED", **content: Any) -> dict[str, Any]:
        return {"sender": {"user_id": f"user:{self.user_id}", "name": self.name},
                "recipient": {"chat_id": self.chat_id}, "timestamp": int(time.time() * 1000),
                "webhookType": kind, **content}

    def message(self, **content: Any) -> dict[str, Any]:
        return self.webhook(message={"seq": time.monotonic_ns(), "mid": self.world.fake.next_mid(), **content})

    async def act(self, webhook: dict[str, Any]) -> list[BotMessage]:
        status = await self.world.fake.post(webhook)
        assert status == 200, status
        await wait_handled(self.world.app, CHANNEL, update_id(webhook))
        return self.new_messages()

    def new_messages(self) -> list[BotMessage]:
        sent = self.world.fake.sent_to(self.chat_id)
        fresh, self.seen = sent[self.seen:], len(sent)
        return [as_bot_message(m) for m in fresh]

    async def send_text(self, text: str) -> list[BotMessage]:
        return await self.act(self.message(text=text))

    async def press(self, payload: str) -> list[BotMessage]:
        on = next((m for m in reversed(self.world.fake.sent_to(self.chat_id))
                   if payload in as_bot_message(m).payloads), None)
        callback = f"cb.{self.user_id}.{time.monotonic_ns()}"
        return await self.act(self.webhook("MESSAGE_CALLBACK", callbackId=callback, payload=payload,
                                           mid=on["mid"] if on else self.world.fake.next_mid()))

    async def send_location(self, latitude: float, longitude: float) -> list[BotMessage]:
        return await self.act(self.message(attachments=[
            {"type": "LOCATION", "payload": {"latitude": latitude, "longitude": longitude}}]))

    async def send_photo(self, data: bytes) -> list[BotMessage]:
        url = self.world.fake.add_image(data)
        return await self.act(self.message(attachments=[
            {"type": "IMAGE", "payload": {"id": len(self.world.fake.images), "url": url}}]))


@dataclass
class OkWorld:
    app: Application
    fake: FakeOk

    def resident(self, number: int = 0) -> OkResident:
        return OkResident(self, FIRST_USER_ID + number, f"Житель {number}")


def bot_environment(fake: FakeOk, port: int, **environment: str) -> dict[str, str]:
    """The settings that point the bot's OK channel at the fake, with quick retries."""
    return {"SOUCHASTIE_OK_TOKEN": fake.token, "SOUCHASTIE_OK_API_URL": fake.url,
            "SOUCHASTIE_OK_ALLOWED_NETWORKS": "[127.0.0.1/32]",
            "SOUCHASTIE_OK_RETRY_BACKOFF_SECONDS": "0.05", "SOUCHASTIE_OK_RATE_LIMIT_PAUSE_SECONDS": "0.1",
            "SOUCHASTIE_OK_REQUEST_TIMEOUT_SECONDS": "5",
            "SOUCHASTIE_SERVER_PORT": str(port), "SOUCHASTIE_SERVER_PUBLIC_URL": f"http://127.0.0.1:{port}",
            **environment}


@asynccontextmanager
async def world(tmp_path: Path, fake: FakeOk | None = None, **environment: str) -> AsyncIterator[OkWorld]:
    own = fake is None
    if fake is None:
        fake = await FakeOk().start()
    try:
        app = Application(test_settings(tmp_path, **bot_environment(fake, free_port(), **environment)))
        await app.start()
        try:
            await eventually(lambda: fake.subscriptions)
            yield OkWorld(app, fake)
        finally:
            await app.stop()
    finally:
        if own:
            await fake.close()
