"""The web chat driver: a resident is a browser session talking to the real HTTP API, its
session token in the ``X-Session`` header as the page sends it."""
from __future__ import annotations

import secrets
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator

import aiohttp

from bot.app import Application
from tests.drivers import BotMessage, test_settings

API = "/api/webchat/messages"


@dataclass
class WebChatResident:
    http: aiohttp.ClientSession
    base: str
    session: str = field(default_factory=lambda: secrets.token_hex(16))
    last_id: int = 0
    # The browser's language, which the page sends with every message (navigator.language);
    # "" sends none, as a client that does not say.
    language: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Session": self.session}

    async def post(self, body: dict[str, Any], message_id: str | None = None) -> dict[str, Any]:
        body = {"id": message_id or uuid.uuid4().hex, **({"language": self.language} if self.language else {}), **body}
        async with self.http.post(self.base + API, json=body, headers=self.headers) as response:
            data = await response.json()
            assert response.status == 200, data
            return data

    def _messages(self, data: dict[str, Any]) -> list[BotMessage]:
        for reply in data["replies"]:
            self.last_id = max(self.last_id, reply["id"])
        return [BotMessage(r["text"], r["buttons"]) for r in data["replies"]]

    async def send_text(self, text: str) -> list[BotMessage]:
        return self._messages(await self.post({"text": text}))

    async def press(self, payload: str) -> list[BotMessage]:
        return self._messages(await self.post({"button": payload}))

    async def send_location(self, latitude: float, longitude: float) -> list[BotMessage]:
        return self._messages(await self.post({"location": {"latitude": latitude, "longitude": longitude}}))

    async def send_photo(self, data: bytes) -> list[BotMessage]:
        form = aiohttp.FormData()
        form.add_field("id", uuid.uuid4().hex)
        if self.language:
            form.add_field("language", self.language)
        form.add_field("photo", data, filename="photo.jpg", content_type="image/jpeg")
        async with self.http.post(self.base + API, data=form, headers=self.headers) as response:
            body = await response.json()
            assert response.status == 200, body
            return self._messages(body)

    async def later(self, timeout: int = 0) -> list[BotMessage]:
        """Replies sent to this browser after the ones it has seen (the long poll)."""
        query = {"after": str(self.last_id), "timeout": str(timeout)}
        async with self.http.get(self.base + API, params=query, headers=self.headers) as response:
            return self._messages(await response.json())


@dataclass
class WebChatWorld:
    app: Application
    http: aiohttp.ClientSession

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.app.port}"

    def resident(self, number: int = 0) -> WebChatResident:
        return WebChatResident(self.http, self.base)


@asynccontextmanager
async def world(tmp_path: Path, **environment: str) -> AsyncIterator[WebChatWorld]:
    app = Application(test_settings(tmp_path, **environment))
    await app.start()
    try:
        async with aiohttp.ClientSession() as http:
            yield WebChatWorld(app, http)
    finally:
        await app.stop()
