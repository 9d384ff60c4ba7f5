"""Votes per second through the whole core: a web-chat request → the ballot stored → the reply.

Voters are onboarded and each poll is opened for them untimed; then every voter presses an
option at once, and only those vote requests are timed (each one stores the event, checks the
poll is open, writes the ballot under its UNIQUE constraint, and writes the reply). Four polls,
so every voter votes four times. The bare aiohttp handler gets as many requests from the same
client in the same run.
"""
from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from bench.client import load
from bench.servers import ROOT, bot_server, free_port
from bench.webchat import bare_rate

POLLS = 10
OPTIONS = ["urguy", "detsky", "solnechny", "raduga", "semeyny"]


def content_file(folder: Path) -> Path:
    polls = []
    for number in range(POLLS):
        options = "\n".join(f"      - {{key: {o}, title: {{ru: {o}}}}}" for o in OPTIONS)
        polls.append(f"""  - key: bench_{number}
    title: {{ru: "Голосование {number}"}}
    options:
{options}
    opens: 2020-01-01T00:00:00+00:00
    closes: 2099-01-01T00:00:00+00:00""")
    path = folder / "bench_polls.yaml"
    path.write_text("polls:\n" + "\n".join(polls) + "\n", encoding="utf-8")
    return path


async def load_content(folder: Path) -> None:
    import os
    import sys

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--log-level", "WARNING", "content", "load", str(content_file(folder)),
        cwd=ROOT, env={**os.environ, "SOUCHASTIE_STORAGE_PATH": str(folder / "bench.db")},
        stdout=asyncio.subprocess.DEVNULL)
    if await process.wait() != 0:
        raise RuntimeError("content load failed")


async def measure(voters: int = 400) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        folder_path, port = Path(folder), free_port()
        await load_content(folder_path)
        async with bot_server(folder_path, port) as base, load(base, voters) as chat:
            await chat.onboard()
            timed, votes = 0.0, 0
            for number in range(POLLS):
                await chat.each(lambda s, n=number: chat.send(s, {"text": f"/start poll-bench_{n}"}))
                choice = {s: OPTIONS[i % len(OPTIONS)] for i, s in enumerate(chat.sessions)}
                started = time.perf_counter()
                await chat.each(lambda s, n=number, choice=choice:
                                chat.send(s, {"button": f"vote:bench_{n}:{choice[s]}"}))
                timed += time.perf_counter() - started
                votes += voters
    vote_rate = votes / timed
    bare = await bare_rate(POLLS, voters)
    return {"votes": votes, "vote_rate": vote_rate, "bare_rate": bare, "ratio": vote_rate / bare}


def report(result: dict[str, float]) -> str:
    return (f"votes through the core:    {result['vote_rate']:8.0f} votes/s "
            f"({result['votes']:.0f} votes, each stored with its reply; target ≥ 2000)\n"
            f"bare aiohttp handler:      {result['bare_rate']:8.0f} requests/s (same client, same run)\n"
            f"ratio votes / bare:        {result['ratio']:8.2f}")


if __name__ == "__main__":
    print(report(asyncio.run(measure())))
