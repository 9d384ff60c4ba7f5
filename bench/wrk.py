"""Drive the web chat with wrk, a load generator that is not the bottleneck.

Python clients on this 2-core machine cap out near the bare handler's rate and so flatter the
core (a 2,213 requests/s client reported a ratio of 0.62 where wrk measures 0.17). wrk sends from
one thread in C; its own ceiling, against a server that answers canned bytes without parsing
(``bench.static_server``), is printed beside every figure so that a reader can check it is
well above the rates it measured.
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.servers import ROOT, server

SCRIPT = Path(__file__).with_name("webchat.lua")
CONNECTIONS = 100  # messages in flight at once


def ensure_wrk() -> str:
    """wrk's path; installed with apt when this runs as root and it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: installing it (apt-get install -y wrk)", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, stdout=subprocess.DEVNULL)
        if not shutil.which("wrk"):
            subprocess.run(["apt-get", "update", "-q"], check=False, stdout=subprocess.DEVNULL)
            subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
        if found:
            return found
    sys.exit("The web-chat benchmarks need wrk (https://github.com/wg/wrk), the load generator: "
             "install it with `sudo apt-get install wrk` (Debian, Ubuntu) or `brew install wrk` (macOS).")


@dataclass(frozen=True)
class Plan:
    """What each simulated browser sends: its session and the message parts it cycles through."""

    rows: list[tuple[str, list[dict]]]

    def write(self, path: Path) -> None:
        lines = []
        for session, steps in self.rows:
            fragments = [json.dumps(step, ensure_ascii=False)[1:-1] for step in steps]
            lines.append("\t".join([session, *fragments]))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Result:
    messages: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


async def run(base: str, plan: Plan, messages_each: int, connections: int = CONNECTIONS) -> Result:
    """Each session of ``plan`` sends ``messages_each`` messages; wrk stops when all are answered."""
    wrk = ensure_wrk()
    with tempfile.TemporaryDirectory() as folder:
        plan_file = Path(folder) / "plan.tsv"
        plan.write(plan_file)
        process = await asyncio.create_subprocess_exec(
            wrk, "-t1", f"-c{min(connections, len(plan.rows))}", "-d600s", "--timeout", "30s", "-s", str(SCRIPT),
            base, "--", str(plan_file), uuid.uuid4().hex[:8], str(messages_each), "1",
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        output, line = [], None
        try:
            while line is None and (raw := await process.stdout.readline()):
                text = raw.decode()
                output.append(text)
                if text.startswith("WRK "):
                    line = text
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGINT)  # wrk's own summary would only count its -d time
                await process.communicate()
    if line is None:
        raise RuntimeError("wrk failed:\n" + "".join(output))
    figures = json.loads(line[4:])
    expected = len(plan.rows) * messages_each
    if figures["failed"] or figures["answered"] != expected:
        raise RuntimeError(f"wrk: {figures['answered']} of {expected} answered, {figures['failed']} failed")
    return Result(expected, figures["seconds"])


def static_server(port: int):
    return server([sys.executable, "-m", "bench.static_server", str(port)], port)


async def rounds(count: int, core: Callable[[], Awaitable[Result]],
                 plain: Callable[[Callable[[int], Any]], Awaitable[Result]], bare: Callable[[int], Any]) -> list[dict]:
    """``count`` rounds, each measuring the core, the bare handler and wrk's own ceiling (the
    canned server) one after another, so that a round's ratio is read on one state of the machine."""
    ensure_wrk()
    results = []
    for _ in range(count):
        ours = await core()
        baseline = await plain(bare)
        ceiling = await plain(static_server)
        results.append({"core": ours, "bare": baseline, "ceiling": ceiling, "ratio": ours.rate / baseline.rate})
    return results


def table(results: list[dict], rate: str, bare_rate: str) -> list[str]:
    """One line a round: our rate, the bare handler's, their ratio and wrk's ceiling."""
    lines = [f"{'round':>5} {rate:>11} {bare_rate:>11} {'ratio':>6} {'wrk ceiling':>12}"]
    for n, r in enumerate(results, 1):
        lines.append(f"{n:>5} {r['core'].rate:>11.0f} {r['bare'].rate:>11.0f} {r['ratio']:>6.2f} "
                     f"{r['ceiling'].rate:>12.0f}")
    return lines
