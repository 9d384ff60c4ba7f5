"""VK voters per second through the whole bot, against a fake VK that enforces 20 requests a second.

Each simulated voter is a VK user on a current client (inline ``callback`` buttons) who votes the
way the issue measured it: ``/start poll-bench_0`` (a poster's link), consent, the option (VK
reports the client's language, so none is asked) — each step pushed to the fake's long poll, then waiting for the
message with the next button. All voters start at once. The bot runs as its own process (``python -m bot run``, the
shipped config, the VK defaults: 20 requests a second, 25 calls an ``execute``); the fake VK and
the voters share this process.

Printed, all measured in one run:

- voters per second through the bot (target ≥ 10; the issue measured 1.2), the median and the
  slowest answer to a step;
- API requests and API calls per resident step: a request is what VK's 20 a second count, and
  one ``execute`` request carries up to 25 calls (replies, button answers, name look-ups);
- the ceiling as the fake saw it: the most requests in any sliding second, and how many it
  refused with error 6 (target 0);
- the same bot with ``vk.execute_calls: 1`` (every call its own request), with fewer voters: what
  ``execute`` buys;
- the load generator's own ceiling: a bare bot (``bench/bare_vk_bot.py``) that answers each step
  at once, with the fake's ceiling lifted — the voters per second this process can drive at all.
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Callable

from bench.servers import ROOT, bot_server, free_port
from bench.votes import OPTIONS, load_content
from tests.fakes.vk import FakeVk

CEILING = 20                   # VK's requests a second for a community token
STEPS = 3                      # /start, consent, vote
STEP_TIMEOUT = 120.0           # a step not answered by then fails the benchmark
NUMBERS = itertools.count(1)   # message ids, as VK numbers a dialogue's messages
MODERN_CLIENT = {"button_actions": ["text", "vkpay", "open_app", "location", "open_link", "callback"],
                 "keyboard": True, "inline_keyboard": True, "carousel": True, "lang_id": 0}


@dataclass
class Voter:
    fake: FakeVk
    user_id: int
    seen: int = 0
    last: dict[str, Any] = field(default_factory=dict)
    waits: list[float] = field(default_factory=list)

    async def vote(self, option: str) -> None:
        await self.step(self.message("/start poll-bench_0"), lambda m: "consent:yes" in payloads(m))
        await self.step(self.press("consent:yes"), lambda m: f"vote:bench_0:{option}" in payloads(m))
        await self.step(self.press(f"vote:bench_0:{option}"), lambda m: "голос учтён" in m["message"])

    async def step(self, update: dict[str, Any], answered: Callable[[dict[str, Any]], bool]) -> None:
        started = time.perf_counter()
        self.fake.push(update)
        while True:
            message = await asyncio.wait_for(self.fake.message_after(self.user_id, self.seen), STEP_TIMEOUT)
            self.seen += 1
            if answered(message):
                self.last = message
                self.waits.append(time.perf_counter() - started)
                return

    def message(self, text: str, **fields: Any) -> dict[str, Any]:
        number = self.fake_number()
        message = {"date": 1764000000, "from_id": self.user_id, "id": number, "out": 0, "peer_id": self.user_id,
                   "text": text, "conversation_message_id": number, "attachments": [], **fields}
        return self.update("message_new", {"message": message, "client_info": MODERN_CLIENT})

    def press(self, payload: str) -> dict[str, Any]:
        """As the resident's client sends the button: a callback button is ``message_event``."""
        kinds = {json.loads(b["action"]["payload"])["p"]: b["action"]["type"]
                 for row in (self.last.get("keyboard") or {}).get("buttons", []) for b in row
                 if b["action"].get("payload")}
        if kinds.get(payload) == "callback":
            return self.update("message_event", {"user_id": self.user_id, "peer_id": self.user_id,
                                                 "event_id": uuid.uuid4().hex[:10], "payload": {"p": payload},
                                                 "conversation_message_id": self.fake_number()})
        return self.message(payload, payload=json.dumps({"p": payload}))

    def update(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        return {"group_id": self.fake.group_id, "type": kind, "event_id": uuid.uuid4().hex, "v": "5.199",
                "object": obj}

    def fake_number(self) -> int:
        return next(NUMBERS)


def payloads(message: dict[str, Any]) -> list[str]:
    return [json.loads(b["action"]["payload"])["p"] for row in (message.get("keyboard") or {}).get("buttons", [])
            for b in row if b["action"].get("payload")]


def busiest_second(times: list[float]) -> int:
    """The most requests the fake accepted in any sliding second."""
    most, first = 0, 0
    for last, at in enumerate(times):
        while times[first] <= at - 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


@asynccontextmanager
async def process(command: list[str], env: dict[str, str]) -> AsyncIterator[asyncio.subprocess.Process]:
    child = await asyncio.create_subprocess_exec(*command, cwd=ROOT, env={**os.environ, **env},
                                                 stdout=asyncio.subprocess.PIPE)
    try:
        yield child
    finally:
        if child.returncode is None:
            child.send_signal(signal.SIGTERM)
            await child.wait()


@asynccontextmanager
async def the_bot(fake: FakeVk, **settings: str) -> AsyncIterator[None]:
    with tempfile.TemporaryDirectory() as folder:
        await load_content(Path(folder))
        environment = {"SOUCHASTIE_VK_TOKEN": fake.token, "SOUCHASTIE_VK_API_URL": fake.api_url,
                       "SOUCHASTIE_VK_GROUP_ID": str(fake.group_id), "SOUCHASTIE_VK_WAIT_SECONDS": "5", **settings}
        async with bot_server(Path(folder), free_port(), **environment):
            yield


@asynccontextmanager
async def the_bare_bot(fake: FakeVk) -> AsyncIterator[None]:
    command = [sys.executable, "-m", "bench.bare_vk_bot", fake.api_url, fake.token, str(fake.group_id)]
    async with process(command, {}) as child:
        await asyncio.wait_for(child.stdout.readline(), 30)
        yield


async def run(bot, voters: int, ceiling: float | None, first_user: int, **settings: str) -> dict[str, float]:
    """Voters per second and what the fake saw, for ``voters`` voting at once through ``bot``."""
    fake = FakeVk(ceiling=ceiling)
    await fake.start()
    try:
        async with bot(fake, **settings):
            while not fake.requested_ts:  # VK hands out updates only from the ts the bot first got
                await asyncio.sleep(0.05)
            await asyncio.gather(*(Voter(fake, first_user - 1 - n).vote(OPTIONS[0]) for n in range(5)))  # warm-up
            before_requests, before_calls = len(fake.accepted_at), _calls(fake)
            crowd = [Voter(fake, first_user + n) for n in range(voters)]
            started = time.perf_counter()
            await asyncio.gather(*(v.vote(OPTIONS[n % len(OPTIONS)]) for n, v in enumerate(crowd)))
            seconds = time.perf_counter() - started
            requests, calls = len(fake.accepted_at) - before_requests, _calls(fake) - before_calls
    finally:
        await fake.stop()
    waits = [w for v in crowd for w in v.waits]
    steps = voters * STEPS
    return {"voters": voters, "rate": voters / seconds, "seconds": seconds, "median_wait": statistics.median(waits),
            "slowest_wait": max(waits), "requests_per_step": requests / steps, "calls_per_step": calls / steps,
            "busiest_second": busiest_second(fake.accepted_at), "refused": fake.rate_limited}


def _calls(fake: FakeVk) -> int:
    """API calls the fake ran: each alone or inside an execute, never the execute itself."""
    return sum(1 for call in fake.calls if call.method != "execute")


async def measure(voters: int = 300, unbatched_voters: int = 60) -> dict[str, dict[str, float]]:
    return {"bot": await run(the_bot, voters, CEILING, 1_000_000),
            "unbatched": await run(the_bot, unbatched_voters, CEILING, 2_000_000, SOUCHASTIE_VK_EXECUTE_CALLS="1"),
            "bare": await run(the_bare_bot, voters, None, 3_000_000)}


def report(results: dict[str, dict[str, float]]) -> str:
    bot, unbatched, bare = results["bot"], results["unbatched"], results["bare"]

    def line(label: str, result: dict[str, float]) -> str:
        return (f"{label:<27}{result['rate']:7.1f} voters/s ({result['voters']:.0f} voters"
                f" in {result['seconds']:.1f} s;"
                f" answer to a step: median {result['median_wait']:.2f} s, slowest {result['slowest_wait']:.2f} s)")

    return "\n".join([
        line("bot, VK defaults:", bot) + "  target ≥ 10",
        f"  per resident step:        {bot['requests_per_step']:7.2f} API requests,"
        f" {bot['calls_per_step']:.2f} API calls"
        f" (one execute request carries up to 25 calls)",
        f"  fake VK's ceiling:        busiest second {bot['busiest_second']:.0f} requests of {CEILING};"
        f" error-6 answers {bot['refused']:.0f} (target 0)",
        line("bot, execute_calls: 1:", unbatched),
        f"  per resident step:        {unbatched['requests_per_step']:7.2f} API requests, "
        f"{unbatched['calls_per_step']:.2f} API calls; error-6 answers {unbatched['refused']:.0f}",
        line("bare bot, no ceiling:", bare) + "  (the load generator's own ceiling)",
        f"ratio bot / execute_calls 1: {bot['rate'] / unbatched['rate']:6.1f}",
        f"ratio bot / bare bot:        {bot['rate'] / bare['rate']:6.2f}",
    ])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voters", type=int, default=300)
    parser.add_argument("--unbatched-voters", type=int, default=60)
    arguments = parser.parse_args()
    print(report(asyncio.run(measure(arguments.voters, arguments.unbatched_voters))))
