"""Web-chat messages per second through the whole core on PostgreSQL, with one and two bot
processes on one database, next to SQLite, the bare aiohttp handler and wrk's own ceiling.

The same journey as ``bench.webchat`` (every message stored, routed, its state and replies
written, every fourth a proposal). PostgreSQL is a throw-away cluster (``tests.postgres``:
``initdb`` in a temporary folder, loopback only, fsync off as in the tests, so the figure is the
database's work and not this machine's disk); each measurement gets a fresh database.

Two processes: two bots on one database, each on its own port. wrk takes one URL, so two wrk
processes run at once, one per bot, each with half the sessions and half the connections; the
rate is all their messages over the slower one's time. Their own ceiling (two wrk processes at
once against the canned server) is printed beside it, next to one wrk's.

On a 2-core machine the two bots share the cores with wrk and PostgreSQL, so a second process
adds no CPU: the figure shows what the database and the leases cost, not how far a bigger
machine scales.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import uuid
from contextlib import AsyncExitStack
from pathlib import Path

from bench import wrk
from bench.client import load
from bench.servers import bare_server, bot_server, free_port
from bench.webchat import JOURNEY


async def fresh_database(cluster) -> str:
    """A new, migrated database in ``cluster``: its URL."""
    import psycopg

    from storage.postgres.database import PostgresDatabase

    name = f"bench_{uuid.uuid4().hex[:12]}"
    async with await psycopg.AsyncConnection.connect(cluster.url("postgres"), autocommit=True) as admin:
        await admin.execute(f'CREATE DATABASE "{name}"')
    db = await PostgresDatabase.open(cluster.url(name))  # migrated here once, not by two bots at once
    await db.close()
    return cluster.url(name)


def halves(plan: wrk.Plan, parts: int) -> list[wrk.Plan]:
    return [wrk.Plan(plan.rows[n::parts]) for n in range(parts)]


async def together(bases: list[str], plan: wrk.Plan, messages_each: int) -> wrk.Result:
    """One wrk per base, at once, each with its share of the sessions and the connections."""
    parts = halves(plan, len(bases))
    results = await asyncio.gather(*(wrk.run(base, part, messages_each, wrk.CONNECTIONS // len(bases))
                                     for base, part in zip(bases, parts)))
    return wrk.Result(sum(r.messages for r in results), max(r.seconds for r in results))


async def core_rate(processes: int, residents: int, messages_each: int, url: str = "") -> wrk.Result:
    """The core's rate with ``processes`` bots on SQLite (``url`` empty, one process) or on ``url``."""
    with tempfile.TemporaryDirectory() as folder:
        async with AsyncExitStack() as stack:
            bases = []
            for n in range(processes):
                data = Path(folder) / f"bot{n}"
                data.mkdir()
                env = {"SOUCHASTIE_STORAGE_URL": url} if url else {}
                bases.append(await stack.enter_async_context(bot_server(data, free_port(), **env)))
            async with load(bases[0], residents) as chat:
                await chat.onboard()  # untimed; the sessions are in the shared database
                plan = wrk.Plan([(session, JOURNEY) for session in chat.sessions])
            await together(bases, plan, len(JOURNEY))  # warm-up
            return await together(bases, plan, messages_each)


async def plain_rate(start, residents: int, messages_each: int, generators: int = 1) -> wrk.Result:
    async with start(free_port()) as base:
        plan = wrk.Plan([(f"{n:032x}", JOURNEY) for n in range(residents)])
        await together([base] * generators, plan, 4)  # warm-up
        return await together([base] * generators, plan, messages_each)


async def measure(rounds: int = 3, residents: int = 2 * wrk.CONNECTIONS, messages_each: int = 40) -> dict:
    from tests.postgres import Cluster, why_unavailable

    missing = why_unavailable()
    if missing:
        return {"skipped": missing}
    wrk.ensure_wrk()
    cluster = await asyncio.to_thread(Cluster.start)
    results = []
    try:
        for _ in range(rounds):
            row = {"sqlite": await core_rate(1, residents, messages_each),
                   "pg1": await core_rate(1, residents, messages_each, await fresh_database(cluster)),
                   "pg2": await core_rate(2, residents, messages_each, await fresh_database(cluster)),
                   "bare": await plain_rate(bare_server, residents, messages_each),
                   "ceiling1": await plain_rate(wrk.static_server, residents, messages_each),
                   "ceiling2": await plain_rate(wrk.static_server, residents, messages_each, generators=2)}
            results.append(row)
    finally:
        await asyncio.to_thread(cluster.stop)
    return {"rounds": results, "messages": residents * messages_each, "cores": os.cpu_count()}


def report(result: dict) -> str:
    if "skipped" in result:
        return f"skipped: {result['skipped']}"
    lines = [f"{'round':>5} {'SQLite 1p':>10} {'PG 1p':>8} {'PG 2p':>8} {'bare':>8} "
             f"{'PG1/SQLite':>10} {'PG2/PG1':>8} {'PG1/bare':>8} {'wrk ceiling 1×/2×':>18}"]
    for n, r in enumerate(result["rounds"], 1):
        sqlite, pg1, pg2, bare = (r[k].rate for k in ("sqlite", "pg1", "pg2", "bare"))
        lines.append(f"{n:>5} {sqlite:>10.0f} {pg1:>8.0f} {pg2:>8.0f} {bare:>8.0f} {pg1 / sqlite:>10.2f} "
                     f"{pg2 / pg1:>8.2f} {pg1 / bare:>8.2f} {r['ceiling1'].rate:>8.0f}/{r['ceiling2'].rate:.0f}")

    def median(key: str) -> float:
        return statistics.median(r[key].rate for r in result["rounds"])

    lines.append(f"web chat through the core, {result['messages']} messages a measurement, msg/s; medians: "
                 f"SQLite {median('sqlite'):.0f}, PostgreSQL 1 process {median('pg1'):.0f}, "
                 f"2 processes {median('pg2'):.0f}, bare handler {median('bare'):.0f}")
    lines.append(f"(this machine has {result['cores']} cores: the bots share them with wrk and PostgreSQL, "
                 "so a second process adds no CPU here; PostgreSQL is a local throw-away cluster, fsync off)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--messages", type=int, default=40, help="messages per simulated resident")
    args = parser.parse_args(argv)
    print(report(asyncio.run(measure(args.rounds, messages_each=args.messages))))


if __name__ == "__main__":
    main()
