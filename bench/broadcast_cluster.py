"""One announcement to more than 100,000 residents from three bot processes on one PostgreSQL
database, against the fake platforms enforcing the platforms' ceilings (``bench.platforms``).

The three bots are real ``python -m bot run`` processes; each would send, but a channel's sender
runs only where its lease is held (``send:<channel>:<token digest>``, broadcasts/service.py), so
each platform sees one sender however many processes run. Printed per platform: the rate the
fake saw against its ceiling (target: the sender's pace, ⌊pace_fraction × ceiling⌋ calls in any
second: OK's 10 a second leaves 9 whole calls, 0.90), and the fake's rate-limit answers (429,
VK error 6, OK error 8; target 0). A second sender for one token would show as rate-limit answers.

The 100,000 are VK's: VK sends to 100 residents a call at 20 calls a second, 2,000 residents a
second, so 100,000 take about 50 s. Per-message platforms at their ceilings would take far
longer (Telegram's 30 a second: 55 minutes), so they get about 40 seconds' worth each
(``seconds`` × ceiling), which runs beside VK's and is enough to read the rate.
PostgreSQL is a throw-away local cluster (``tests.postgres``, fsync off).
"""
from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.broadcast import (
    BUTTONS,
    CEILINGS,
    PER_CALL,
    TEXTS,
    environment,
    external_id,
    paced_ratio,
    platform_stats,
    platforms,
)
from bench.servers import bot_server, free_port

PROCESSES = 3
VK_RECIPIENTS = 100_000
TARGET = 0.95   # of each platform's ceiling


def counts_for(vk: int, seconds: float) -> dict[str, int]:
    """VK's ``vk`` residents, and ``seconds`` at its ceiling for each per-message platform."""
    return {name: vk if name == "vk" else round(CEILINGS[name] * seconds) for name in CEILINGS}


async def seed(url: str, counts: dict[str, int]) -> None:
    """Residents who agreed and can be written to, copied straight into PostgreSQL (schema made);
    the WhatsApp ones wrote an hour ago, so their 24-hour window is open."""
    import psycopg

    stamp = "2026-11-01T00:00:00.000000+00:00"
    wrote = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="microseconds")
    async with await psycopg.AsyncConnection.connect(url) as connection:
        async with connection.cursor() as cursor:
            async with cursor.copy("COPY residents (channel, external_id, display_name, language, consent_version,"
                                   " consent_at, reachable, created_at) FROM STDIN") as copy:
                for channel, count in counts.items():
                    for n in range(count):
                        await copy.write_row((channel, external_id(channel, n), f"Житель {n}", "ru",
                                              "2026-11-01", stamp, 1, stamp))
            async with cursor.copy("COPY whatsapp_contacts (wa_id, last_inbound_at) FROM STDIN") as copy:
                for n in range(counts.get("whatsapp", 0)):
                    await copy.write_row((external_id("whatsapp", n), wrote))
        await connection.commit()


async def fresh_database(cluster) -> str:
    import psycopg

    from storage.postgres.database import PostgresDatabase

    name = f"bench_{uuid.uuid4().hex[:12]}"
    async with await psycopg.AsyncConnection.connect(cluster.url("postgres"), autocommit=True) as admin:
        await admin.execute(f'CREATE DATABASE "{name}"')
    db = await PostgresDatabase.open(cluster.url(name))
    await db.close()
    return cluster.url(name)


async def platform_times(info: dict[str, Any]) -> dict[str, list[float]]:
    import aiohttp

    async with aiohttp.ClientSession() as http:
        async with http.get(info["control"] + "/times") as response:
            return await response.json()


async def send_leases(url: str) -> dict[str, str]:
    """Which process holds each channel's sender: lease name → the holder's pid."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
        cursor = await connection.execute("SELECT name, holder FROM leases WHERE name LIKE 'send:%' ORDER BY name")
        return {name.split(":")[1]: holder.split(":")[1] for name, holder in await cursor.fetchall()}


async def run(cluster, counts: dict[str, int]) -> dict[str, Any]:
    from broadcasts import outbox
    from broadcasts.audience import Audience
    from storage.postgres.database import PostgresDatabase

    url = await fresh_database(cluster)
    await seed(url, counts)
    async with platforms(CEILINGS) as info, AsyncExitStack() as stack:
        with tempfile.TemporaryDirectory() as folder:
            for n in range(PROCESSES):
                data = Path(folder) / f"bot{n}"
                data.mkdir()
                env = {**environment(info, data, CEILINGS, 1.0), "SOUCHASTIE_STORAGE_URL": url,
                       "SOUCHASTIE_GATEWAY_ENABLED": "true"}  # the only channel a token does not switch on
                await stack.enter_async_context(bot_server(data, free_port(), **env))
            db = await PostgresDatabase.open(url, migrate=False)
            try:
                opened = time.monotonic()
                broadcast_id, recipients = await outbox.create(
                    db, outbox.BroadcastSpec(title="ПАРКУ БЫТЬ! — серия 4", texts=TEXTS, audience=Audience(),
                                             buttons=BUTTONS), status="sending")
                assert recipients == sum(counts.values()), (recipients, counts)
                started = time.perf_counter()
                while True:
                    progress = await outbox.progress(db, broadcast_id)
                    assert progress is not None
                    if progress.pending == 0 and progress.sending == 0:
                        break
                    await asyncio.sleep(0.2)
                seconds = time.perf_counter() - started
                closed = time.monotonic()
                holders = await send_leases(url)
            finally:
                await db.close()
            seen = await platform_stats(info)
            times = await platform_times(info)
    channels = {}
    for name, count in counts.items():
        stats = seen[name]
        # The broadcast's window only: the bots' long polls and start-up calls come before and after.
        during = [t for t in times[name] if opened <= t <= closed]
        span = (during[-1] - during[0]) if len(during) > 1 else 0.0
        rate = (len(during) - 1) / span if span > 0 else float("nan")
        channels[name] = {"recipients": count, "calls": len(during), "rate": rate,
                          "ratio": rate / CEILINGS[name], "rate_limited": stats["rate_limited"],
                          "holder": holders.get(name, "?")}
    minimum = max(counts[name] / (CEILINGS[name] * PER_CALL[name]) for name in counts)
    return {"counts": counts, "channels": channels, "seconds": seconds, "minimum": minimum, "progress": progress}


async def measure(vk: int = VK_RECIPIENTS, seconds: float = 40.0) -> dict[str, Any]:
    from tests.postgres import Cluster, why_unavailable

    missing = why_unavailable()
    if missing:
        return {"skipped": missing}
    cluster = await asyncio.to_thread(Cluster.start)
    try:
        return await run(cluster, counts_for(vk, seconds))
    finally:
        await asyncio.to_thread(cluster.stop)


def report(result: dict[str, Any]) -> str:
    if "skipped" in result:
        return f"skipped: {result['skipped']}"
    counts = result["counts"]
    lines = [f"one announcement to {sum(counts.values()):,} residents from {PROCESSES} bot processes on one "
             f"PostgreSQL database: {counts}",
             f"(VK's {counts['vk']:,} go 100 a call at 20 calls/s; the per-message platforms get about "
             f"{counts['telegram'] / CEILINGS['telegram']:.0f} s of their ceiling each, since 100,000 at "
             f"Telegram's 30/s would take {100_000 / CEILINGS['telegram'] / 60:.0f} minutes)"]
    holders = {row["holder"] for row in result["channels"].values()}
    for name, row in result["channels"].items():
        unit = "calls" if PER_CALL[name] > 1 else "messages"
        lines.append(f"  {name:9s} {row['rate']:6.2f} {unit}/s of {CEILINGS[name]:.0f}: ratio {row['ratio']:.3f} "
                     f"(target ≥ {min(TARGET, paced_ratio(name)):.3f}: {TARGET}, or the pace's whole calls a "
                     f"second where lower); rate-limit answers: "
                     f"{row['rate_limited']} (target 0); {row['recipients']:,} recipients, {row['calls']:,} calls "
                     f"during the broadcast; "
                     f"sender in pid {row['holder']}")
    progress = result["progress"]
    lines.append(f"  total     {result['seconds']:6.1f} s against a theoretical minimum of {result['minimum']:.1f} s "
                 f"(slowest channel / its ceiling); sent {progress.sent:,}, failed {progress.failed}, "
                 f"unknown {progress.unknown}; senders spread over {len(holders)} of the {PROCESSES} processes")
    lines.append("(2 cores here, shared by the three bots, the fakes and PostgreSQL)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vk", type=int, default=VK_RECIPIENTS, help="VK recipients (100 a call)")
    parser.add_argument("--seconds", type=float, default=40.0,
                        help="seconds of each per-message platform's ceiling in its audience")
    args = parser.parse_args(argv)
    print(report(asyncio.run(measure(args.vk, args.seconds))))


if __name__ == "__main__":
    main()
