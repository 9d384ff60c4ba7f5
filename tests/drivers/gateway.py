"""The gateway driver: a resident is a person behind a third-party gateway.

The resident's actions become signed version-1 events POSTed to the bot's inbound path, as a
gateway following docs/gateway.md sends them; the bot's replies are read back from the fake
gateway (``tests.fakes.gateway``) that the bot POSTs them to, signature checked.
"""
from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bot.app import Application
from tests.drivers import BotMessage, RepliesFromFake, test_settings, wait_handled
from tests.fakes.gateway import FakeGateway, signed

CHANNEL = "gateway"


def as_bot_message(message: dict[str, Any]) -> BotMessage:
    return BotMessage(message.get("text", ""), [list(row) for row in message.get("buttons", [])])


@dataclass
class GatewayResident(RepliesFromFake):
    world: GatewayWorld
    user_id: str
    name: str
    seen: int = 0

    def event(self, event_id: str | None = None, **action: Any) -> dict[str, Any]:
        return {"version": 1, "id": event_id or uuid.uuid4().hex,
                "user": {"id": self.user_id, "name": self.name, "language": "ru"}, **action}

    async def post(self, event: dict[str, Any], secret: str | None = None,
                   headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
        """POST an event without waiting for the bot to process it."""
        body, signed_headers = signed(secret or self.world.fake.secret, event)
        async with self.world.http.post(self.world.inbound_url, data=body,
                                        headers=headers if headers is not None else signed_headers) as response:
            return response.status, await response.json()

    async def act(self, event: dict[str, Any]) -> list[BotMessage]:
        status, answer = await self.post(event)
        assert status == 200, answer
        await wait_handled(self.world.app, CHANNEL, event["id"])
        return self.new_messages()

    def new_messages(self) -> list[BotMessage]:
        sent = self.world.fake.sent_to(self.user_id)
        fresh, self.seen = sent[self.seen:], len(sent)
        return [as_bot_message(m) for m in fresh]

    async def send_text(self, text: str) -> list[BotMessage]:
        return await self.act(self.event(text=text))

    async def press(self, payload: str) -> list[BotMessage]:
        return await self.act(self.event(button=payload))

    async def send_location(self, latitude: float, longitude: float) -> list[BotMessage]:
        return await self.act(self.event(location={"latitude": latitude, "longitude": longitude}))

    async def send_contact(self, phone: str, verified: bool = True) -> list[BotMessage]:
        return await self.act(self.event(contact={"phone": phone, "verified": verified}))

    async def send_photo(self, data: bytes) -> list[BotMessage]:
        return await self.act(self.event(photo_url=self.world.fake.add_photo(data)))


@dataclass
class GatewayWorld:
    app: Application
    fake: FakeGateway
    http: aiohttp.ClientSession

    @property
    def inbound_url(self) -> str:
        return f"http://127.0.0.1:{self.app.port}{self.app.settings.gateway.inbound_path}"

    def resident(self, number: int = 0) -> GatewayResident:
        return GatewayResident(self, f"gw-{number}", f"Житель {number}")


def gateway_environment(fake: FakeGateway, **environment: str) -> dict[str, str]:
    """The settings that point the bot's gateway channel at the fake, with quick retries."""
    return {"SOUCHASTIE_GATEWAY_ENABLED": "true", "SOUCHASTIE_GATEWAY_SECRET": fake.secret,
            "SOUCHASTIE_GATEWAY_OUTBOUND_URL": fake.outbound_url,
            "SOUCHASTIE_GATEWAY_RETRY_BACKOFF_SECONDS": "0.05",
            "SOUCHASTIE_GATEWAY_REQUEST_TIMEOUT_SECONDS": "5", **environment}


@asynccontextmanager
async def world(tmp_path: Path, fake: FakeGateway | None = None, **environment: str) -> AsyncIterator[GatewayWorld]:
    own = fake is None
    if fake is None:
        fake = await FakeGateway().start()
    try:
        app = Application(test_settings(tmp_path, **gateway_environment(fake, **environment)))
        await app.start()
        try:
            async with aiohttp.ClientSession() as http:
                yield GatewayWorld(app, fake, http)
        finally:
            await app.stop()
    finally:
        if own:
            await fake.close()
