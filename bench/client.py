"""The load generator both benchmarks share: simulated browsers posting to the web chat API."""
from __future__ import annotations

import asyncio
import secrets
import uuid
from contextlib import asynccontextmanager
from typing import AsyncIterator, Awaitable, Callable

import aiohttp

ONBOARDING = [{"text": "/start bench"}, {"button": "consent:yes"}, {"button": "lang:ru"}]


class WebChatLoad:
    def __init__(self, http: aiohttp.ClientSession, base: str, residents: int) -> None:
        self.http, self.base = http, base
        self.sessions = [secrets.token_hex(16) for _ in range(residents)]

    async def send(self, session: str, body: dict) -> None:
        async with self.http.post(self.base + "/api/webchat/messages",
                                  json={"session": session, "id": uuid.uuid4().hex, **body}) as response:
            await response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}")

    async def each(self, step: Callable[[str], Awaitable[None]]) -> None:
        """Run ``step`` for every resident at once (one request in flight per resident)."""
        await asyncio.gather(*(step(session) for session in self.sessions))

    async def onboard(self) -> None:
        for body in ONBOARDING:
            await self.each(lambda session, body=body: self.send(session, body))


@asynccontextmanager
async def load(base: str, residents: int) -> AsyncIterator[WebChatLoad]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=residents)) as http:
        yield WebChatLoad(http, base, residents)
