"""Web-chat messages per second through the whole core, against a bare aiohttp handler.

Each simulated resident walks the real proposal journey over and over (menu → category →
text → next → skip → confirm), one message in flight per resident, so every message is stored
in the inbox, routed, changes persisted state, writes its replies, and every sixth creates a
proposal. The same client then sends as many requests to the bare baseline.
"""
from __future__ import annotations

import asyncio
import secrets
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

from bench.servers import bare_server, bot_server, free_port

JOURNEY = [{"button": "menu:propose"}, {"button": "cat:idea"},
           {"text": "Поставить больше скамеек вдоль главной аллеи"}, {"button": "prop:next"},
           {"button": "prop:skip"}, {"button": "prop:confirm"}]
ONBOARDING = [{"text": "/start bench"}, {"button": "consent:yes"}, {"button": "lang:ru"}]


async def drive(base: str, residents: int, messages_each: int, onboard: bool) -> tuple[int, float]:
    connector = aiohttp.TCPConnector(limit=residents)
    async with aiohttp.ClientSession(connector=connector) as http:
        sessions = [secrets.token_hex(16) for _ in range(residents)]

        async def send(session: str, body: dict) -> None:
            async with http.post(base + "/api/webchat/messages",
                                 json={"session": session, "id": uuid.uuid4().hex, **body}) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"HTTP {response.status}")

        if onboard:
            await asyncio.gather(*(send(s, step) for s in sessions for step in ONBOARDING[:1]))
            for step in ONBOARDING[1:]:
                await asyncio.gather(*(send(s, step) for s in sessions))

        async def resident(session: str) -> None:
            for n in range(messages_each):
                await send(session, JOURNEY[n % len(JOURNEY)])

        started = time.perf_counter()
        await asyncio.gather(*(resident(s) for s in sessions))
        return residents * messages_each, time.perf_counter() - started


async def measure(residents: int = 100, messages_each: int = 120) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        async with bot_server(Path(folder), port) as base:
            await drive(base, 20, 12, onboard=True)  # warm-up
            sent, core_seconds = await drive(base, residents, messages_each, onboard=True)
        port = free_port()
        async with bare_server(port) as base:
            await drive(base, 20, 12, onboard=False)
            bare_sent, bare_seconds = await drive(base, residents, messages_each, onboard=False)
    core_rate, bare_rate = sent / core_seconds, bare_sent / bare_seconds
    return {"messages": sent, "core_rate": core_rate, "bare_rate": bare_rate, "ratio": core_rate / bare_rate}


def report(result: dict[str, float]) -> str:
    return (f"web chat through the core: {result['core_rate']:8.0f} messages/s "
            f"({result['messages']:.0f} messages, SQLite writes included; target ≥ 2000)\n"
            f"bare aiohttp handler:      {result['bare_rate']:8.0f} messages/s (same client, same run)\n"
            f"ratio core / bare:         {result['ratio']:8.2f} (target ≥ 0.30)")


if __name__ == "__main__":
    print(report(asyncio.run(measure())))
