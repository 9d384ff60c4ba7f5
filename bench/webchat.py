"""Web-chat messages per second through the whole core, against a bare aiohttp handler.

Each simulated resident walks the real proposal journey over and over (menu → text → the
place typed on the draft → send), one message in flight per resident, so every message is
stored in the inbox, routed, changes persisted state, writes its replies, and every fourth
creates a proposal. The same client then sends as many requests to the bare baseline.
"""
from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bench.client import load
from bench.servers import bare_server, bot_server, free_port

JOURNEY = [{"button": "menu:propose"}, {"text": "Поставить больше скамеек вдоль главной аллеи"},
           {"text": "У главного входа"}, {"button": "prop:confirm"}]


async def drive(base: str, residents: int, messages_each: int, onboard: bool) -> tuple[int, float]:
    async with load(base, residents) as chat:
        if onboard:
            await chat.onboard()

        async def walk(session: str) -> None:
            for n in range(messages_each):
                await chat.send(session, JOURNEY[n % len(JOURNEY)])

        started = time.perf_counter()
        await chat.each(walk)
        return residents * messages_each, time.perf_counter() - started


async def bare_rate(requests_each: int, residents: int) -> float:
    async with bare_server(free_port()) as base:
        await drive(base, 20, 12, onboard=False)
        sent, seconds = await drive(base, residents, requests_each, onboard=False)
    return sent / seconds


async def measure(residents: int = 100, messages_each: int = 120) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        async with bot_server(Path(folder), free_port()) as base:
            await drive(base, 20, 12, onboard=True)  # warm-up
            sent, core_seconds = await drive(base, residents, messages_each, onboard=True)
    core_rate, bare = sent / core_seconds, await bare_rate(messages_each, residents)
    return {"messages": sent, "core_rate": core_rate, "bare_rate": bare, "ratio": core_rate / bare}


def report(result: dict[str, float]) -> str:
    return (f"web chat through the core: {result['core_rate']:8.0f} messages/s "
            f"({result['messages']:.0f} messages, SQLite writes included; target ≥ 2000)\n"
            f"bare aiohttp handler:      {result['bare_rate']:8.0f} messages/s (same client, same run)\n"
            f"ratio core / bare:         {result['ratio']:8.2f} (target ≥ 0.30)")


if __name__ == "__main__":
    print(report(asyncio.run(measure())))
