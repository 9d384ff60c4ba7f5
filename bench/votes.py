"""Votes per second through the whole core: a web-chat request → the ballot stored → the reply.

Voters are onboarded and each poll is opened for them untimed; then every voter presses an
option, sent by wrk (``bench.wrk``), and only those vote requests are timed (each one stores the
event, checks the poll is open, writes the ballot under its UNIQUE constraint, and writes the
reply). Every voter votes in each poll. The bare aiohttp handler gets as many requests of the
same shape from wrk in the same round, and wrk's own ceiling is printed beside them.
"""
from __future__ import annotations

import asyncio
import statistics
import tempfile
from pathlib import Path

from bench import wrk
from bench.client import load
from bench.servers import ROOT, bare_server, bot_server, free_port
from bench.webchat import plain_rate

POLLS = 4
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


async def vote_rate(voters: int) -> wrk.Result:
    with tempfile.TemporaryDirectory() as folder:
        folder_path, port = Path(folder), free_port()
        await load_content(folder_path)
        async with bot_server(folder_path, port) as base:
            async with load(base, voters) as chat:
                await chat.onboard()
                sessions = chat.sessions
            seconds = 0.0
            for number in range(POLLS):
                await wrk.run(base, wrk.Plan([(s, [{"text": f"/start poll-bench_{number}"}]) for s in sessions]), 1)
                votes = wrk.Plan([(s, [{"button": f"vote:bench_{number}:{OPTIONS[i % len(OPTIONS)]}"}])
                                  for i, s in enumerate(sessions)])
                seconds += (await wrk.run(base, votes, 1)).seconds
    return wrk.Result(voters * POLLS, seconds)


async def measure(rounds: int = 3, voters: int = 2000) -> dict:
    vote = [{"button": f"vote:bench_0:{OPTIONS[0]}"}]
    results = await wrk.rounds(rounds, lambda: vote_rate(voters),
                               lambda start: plain_rate(start, voters, POLLS, vote), bare_server)
    return {"rounds": results, "votes": voters * POLLS}


def report(result: dict) -> str:
    lines = wrk.table(result["rounds"], "votes/s", "bare req/s")
    rates = [r["core"].rate for r in result["rounds"]]
    ratios = [r["ratio"] for r in result["rounds"]]
    lines.append(f"votes through the core, {result['votes']} a round, each stored with its reply: "
                 f"median {statistics.median(rates):.0f}/s, from {min(rates):.0f} to {max(rates):.0f} "
                 f"(target ≥ 3000); ratio votes / bare: median {statistics.median(ratios):.2f}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(asyncio.run(measure())))
