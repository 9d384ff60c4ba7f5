"""Web-chat messages per second through the whole core, against a bare aiohttp handler.

Each simulated resident walks the real proposal journey over and over (menu → text → the
place typed on the draft → send), so every message is stored in the inbox, routed, changes
persisted state, writes its replies, and every fourth creates a proposal. wrk sends them
(``bench.wrk``): the same plan to the core, to the bare handler, and to a canned-bytes server
that shows wrk's own ceiling, in each of several rounds, so the ratio is read within a round.
"""
from __future__ import annotations

import asyncio
import statistics
import tempfile
from pathlib import Path

from bench import wrk
from bench.client import load
from bench.servers import bare_server, bot_server, free_port

JOURNEY = [{"button": "menu:propose"}, {"text": "Поставить больше скамеек вдоль главной аллеи"},
           {"text": "У главного входа"}, {"button": "prop:confirm"}]


async def core_rate(residents: int, messages_each: int, **env: str) -> wrk.Result:
    with tempfile.TemporaryDirectory() as folder:
        async with bot_server(Path(folder), free_port(), **env) as base:
            async with load(base, residents) as chat:
                await chat.onboard()  # untimed: consent and language
                plan = wrk.Plan([(session, JOURNEY) for session in chat.sessions])
            await wrk.run(base, plan, len(JOURNEY))  # warm-up
            return await wrk.run(base, plan, messages_each)


async def plain_rate(start, residents: int, messages_each: int, steps: list[dict]) -> wrk.Result:
    """The bare handler's or the canned server's rate, on a plan of the same shape."""
    async with start(free_port()) as base:
        plan = wrk.Plan([(f"{n:032x}", steps) for n in range(residents)])
        await wrk.run(base, plan, 4)  # warm-up
        return await wrk.run(base, plan, messages_each)


async def measure(rounds: int = 3, residents: int = 2 * wrk.CONNECTIONS, messages_each: int = 60) -> dict:
    results = await wrk.rounds(rounds, lambda: core_rate(residents, messages_each),
                               lambda start: plain_rate(start, residents, messages_each, JOURNEY), bare_server)
    return {"rounds": results, "messages": residents * messages_each}


def report(result: dict) -> str:
    lines = wrk.table(result["rounds"], "core msg/s", "bare msg/s")
    ratios = [r["ratio"] for r in result["rounds"]]
    lines.append(f"web chat through the core, {result['messages']} messages a round (SQLite writes included); "
                 f"ratio core / bare: median {statistics.median(ratios):.2f}, "
                 f"from {min(ratios):.2f} to {max(ratios):.2f} (target ≥ 0.30)")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(asyncio.run(measure())))
