"""One announcement to the campaign's 29,378 residents — 50 % VK, 20 % Telegram, 10 % MAX,
10 % OK, 5 % WhatsApp, 5 % the generic gateway — through the real broadcast path (``broadcasts.outbox.create`` writes
the deliveries, the ``BroadcastService`` runs one paced sender per channel, the channels' ``send_once`` call the
real client libraries) against the fake platforms enforcing the platforms' ceilings:
VK 20 calls/s (100 residents a call), Telegram 30 messages/s, MAX 30 requests/s, OK 10
requests/s, WhatsApp 80 messages/s, the gateway 20 messages/s. The WhatsApp residents wrote to the
bot an hour ago, so all of them are inside the 24-hour window and get the free-form message.

Printed per channel: the rate the fake saw, divided by the ceiling (target: the pace the sender
keeps, ⌊pace_fraction × ceiling⌋ calls in any second, so 29/30 on Telegram and 9/10 on OK), and
how many rate-limit answers (429, VK error 6) the fake gave (target 0); the total time against the
theoretical minimum (the slowest channel's recipients / its ceiling in messages a second); and the
sender process's peak Python memory (tracemalloc) at 10,000 and 100,000 recipients.

At the real ceilings OK's 2,938 residents take about five minutes, so ``--scale N`` divides
every count by N (default 20, so ``make bench`` stays near two minutes). The rate ratios and
the 429 count do not depend on the scale; only the absolute times do. The memory runs use
ceilings raised a hundredfold so that they finish in seconds, with the sender's seconds in flight
cut as much, so that it holds as many rows at once as at the real ceilings.
The fakes run in a process of their own (``bench.platforms``), so their work and their memory
are not the sender's.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, AsyncIterator

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
CAMPAIGN = 29_378
SHARES = {"vk": 0.5, "telegram": 0.2, "max": 0.1, "ok": 0.1, "whatsapp": 0.05, "gateway": 0.05}
CEILINGS = {"vk": 20.0, "telegram": 30.0, "max": 30.0,   # the channels' default settings
            "ok": 10.0, "whatsapp": 80.0, "gateway": 20.0}
PER_CALL = {"vk": 100, "telegram": 1, "max": 1, "ok": 1, "whatsapp": 1, "gateway": 1}
FIRST_ID = {"vk": 100_000_000, "telegram": 200_000_000, "max": 300_000_000, "ok": 400_000_000,
            "whatsapp": 79_140_000_000, "gateway": 600_000_000}
SPLIT = " / ".join(f"{share * 100:g} % {label}" for share, label in zip(SHARES.values(), (
    "VK", "Telegram", "MAX", "OK", "WhatsApp", "gateway")))
MEMORY_SIZES = (10_000, 100_000)
MEMORY_CEILING_FACTOR = 100
POOL = 10                       # open connections per platform client in the benchmark
TEXTS = {"ru": "Вышла новая серия мультфильма «ПАРКУ БЫТЬ!»: смотрите, как меняется парк.",
         "en": "A new episode of «ПАРКУ БЫТЬ!» is out: see how the park is changing."}
BUTTONS = [[{"label": "Смотреть", "url": "https://example.org/parku-byt/episode-4"}]]


def split(total: int) -> dict[str, int]:
    """The ``SHARES`` per cent, rounded so that the parts add up to the total."""
    counts = {name: round(total * share) for name, share in SHARES.items()}
    counts["vk"] += total - sum(counts.values())
    return counts


# -- the fake platforms, in their own process ------------------------------------------------

@asynccontextmanager
async def platforms(ceilings: dict[str, float]) -> AsyncIterator[dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.platforms",
        *(str(ceilings[name]) for name in ("vk", "telegram", "max", "ok", "whatsapp", "gateway")), cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, env={**os.environ})
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        if not line:
            raise RuntimeError("bench.platforms did not start")
        yield json.loads(line)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await process.wait()


async def platform_stats(info: dict[str, Any]) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http:
        async with http.get(info["control"] + "/stats") as response:
            return await response.json()


# -- the bot's side --------------------------------------------------------------------------

def environment(info: dict[str, Any], folder: Path, ceilings: dict[str, float], factor: float) -> dict[str, str]:
    """Settings pointing at the fakes. With ceilings raised ``factor`` times, the sender's seconds
    in flight and between flushes shrink as much, so its window (rows claimed at once: ceiling ×
    in_flight_seconds) holds as many rows as at the real ceilings."""
    from bot.config import BroadcastSettings

    defaults = BroadcastSettings()
    return {
        "SOUCHASTIE_BROADCASTS_IN_FLIGHT_SECONDS": str(defaults.in_flight_seconds / factor),
        "SOUCHASTIE_BROADCASTS_FLUSH_SECONDS": str(defaults.flush_seconds / factor),
        # Connections kept open to each platform: at the real ceilings a handful are in use; with
        # raised ceilings, pauses of the shared CPU leave more calls overlapping, and each client's
        # pool keeps what it opened (up to 100). Capped, so the memory runs measure the sender.
        "SOUCHASTIE_TELEGRAM_MAX_CONNECTIONS": str(POOL), "SOUCHASTIE_MAX_MAX_CONNECTIONS": str(POOL),
        "SOUCHASTIE_OK_MAX_CONNECTIONS": str(POOL),
        # Each request leaves a time-out timer in the event loop until its time passes, so a
        # client holds (requests a second × time-out) of them: short time-outs make that steady
        # within a second instead of after half a minute, for short and long runs alike.
        **({name: "2" for name in ("SOUCHASTIE_TELEGRAM_REQUEST_TIMEOUT_SECONDS",
                                   "SOUCHASTIE_MAX_REQUEST_TIMEOUT_SECONDS",
                                   "SOUCHASTIE_VK_REQUEST_TIMEOUT_SECONDS",
                                   "SOUCHASTIE_OK_REQUEST_TIMEOUT_SECONDS",
                                   "SOUCHASTIE_WHATSAPP_REQUEST_TIMEOUT_SECONDS",
                                   "SOUCHASTIE_GATEWAY_REQUEST_TIMEOUT_SECONDS")} if factor > 1 else {}),
        "SOUCHASTIE_STORAGE_PATH": str(folder / "bench.db"),
        "SOUCHASTIE_STORAGE_ATTACHMENTS_DIR": str(folder / "attachments"),
        "SOUCHASTIE_VK_TOKEN": info["vk"]["token"], "SOUCHASTIE_VK_API_URL": info["vk"]["url"],
        "SOUCHASTIE_VK_GROUP_ID": str(info["vk"]["group_id"]),
        "SOUCHASTIE_VK_REQUESTS_PER_SECOND": str(ceilings["vk"]),
        "SOUCHASTIE_TELEGRAM_TOKEN": info["telegram"]["token"], "SOUCHASTIE_TELEGRAM_API_URL": info["telegram"]["url"],
        "SOUCHASTIE_TELEGRAM_BROADCAST_PER_SECOND": str(ceilings["telegram"]),
        "SOUCHASTIE_MAX_TOKEN": info["max"]["token"], "SOUCHASTIE_MAX_API_URL": info["max"]["url"],
        "SOUCHASTIE_MAX_REQUESTS_PER_SECOND": str(ceilings["max"]),
        "SOUCHASTIE_OK_TOKEN": info["ok"]["token"], "SOUCHASTIE_OK_API_URL": info["ok"]["url"],
        "SOUCHASTIE_OK_REQUESTS_PER_SECOND": str(ceilings["ok"]),
        "SOUCHASTIE_WHATSAPP_TOKEN": info["whatsapp"]["token"],
        "SOUCHASTIE_WHATSAPP_APP_SECRET": info["whatsapp"]["app_secret"],
        "SOUCHASTIE_WHATSAPP_VERIFY_TOKEN": info["whatsapp"]["verify_token"],
        "SOUCHASTIE_WHATSAPP_PHONE_NUMBER_ID": info["whatsapp"]["phone_number_id"],
        "SOUCHASTIE_WHATSAPP_GRAPH_URL": info["whatsapp"]["url"],
        "SOUCHASTIE_WHATSAPP_GRAPH_VERSION": info["whatsapp"]["version"],
        "SOUCHASTIE_WHATSAPP_MESSAGES_PER_SECOND": str(ceilings["whatsapp"]),
        "SOUCHASTIE_GATEWAY_SECRET": info["gateway"]["secret"],
        "SOUCHASTIE_GATEWAY_OUTBOUND_URL": info["gateway"]["url"],
        "SOUCHASTIE_GATEWAY_MESSAGES_PER_SECOND": str(ceilings["gateway"]),
    }


def external_id(channel: str, n: int) -> str:
    """The platform's form of a resident's id: OK's are chat ids ("chat:C<hex>"), WhatsApp's the
    phone numbers (wa_id), the others numbers."""
    number = FIRST_ID[channel] + n
    return f"chat:C{number:x}" if channel == "ok" else str(number)


def seed(path: Path, counts: dict[str, int]) -> None:
    """Residents who agreed and can be written to, straight into SQLite (schema already made).
    The WhatsApp ones wrote an hour ago (``whatsapp_contacts.last_inbound_at``, as
    ``storage.whatsapp.touch_window`` records it), so their 24-hour window is open."""
    stamp = "2026-11-01T00:00:00.000000+00:00"
    wrote = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="microseconds")
    with sqlite3.connect(path) as db:
        for channel, count in counts.items():
            db.executemany(
                "INSERT INTO residents (channel, external_id, display_name, language, consent_version,"
                " consent_at, reachable, created_at) VALUES (?, ?, ?, 'ru', '2026-11-01', ?, 1, ?)",
                ((channel, external_id(channel, n), f"Житель {n}", stamp, stamp) for n in range(count)))
        db.executemany("INSERT INTO whatsapp_contacts (wa_id, last_inbound_at) VALUES (?, ?)",
                       ((external_id("whatsapp", n), wrote) for n in range(counts.get("whatsapp", 0))))


async def broadcast(info: dict[str, Any], counts: dict[str, int], ceilings: dict[str, float],
                    factor: float = 1.0, measure_memory: bool = False) -> dict[str, Any]:
    from bot.config import load_settings
    from bot.core.i18n import Texts
    from broadcasts import outbox
    from broadcasts.audience import Audience
    from broadcasts.service import BroadcastService
    from channels.gateway.channel import GatewayChannel
    from channels.max.channel import MaxChannel
    from channels.ok.channel import OkChannel
    from channels.telegram.channel import TelegramChannel
    from channels.vk.channel import VkChannel
    from channels.whatsapp.channel import WhatsappChannel
    from handlers import LOCALES
    from storage.attachments import AttachmentStore
    from storage.channel_storage import ChannelStorage
    from storage.database import Database

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        settings = load_settings(ROOT / "config.yaml", environment(info, folder, ceilings, factor))
        db = await Database.open(settings.storage.path)
        await db.close()
        seed(settings.storage.path, counts)
        db = await Database.open(settings.storage.path)
        attachments = AttachmentStore(settings.storage.attachments_dir)
        stored = ChannelStorage(db)
        channels = {"vk": VkChannel(settings, stored, attachments),
                    "telegram": TelegramChannel(settings, stored, attachments),
                    "max": MaxChannel(settings, stored, attachments), "ok": OkChannel(settings, stored, attachments),
                    "whatsapp": WhatsappChannel(settings, stored, attachments),
                    "gateway": GatewayChannel(settings, stored, attachments)}
        texts = Texts.load(LOCALES, settings.languages.default)
        broadcast_id, recipients = await outbox.create(
            db, outbox.BroadcastSpec(title="ПАРКУ БЫТЬ! — серия 4", texts=TEXTS, audience=Audience(),
                                     buttons=BUTTONS), status="sending")
        assert recipients == sum(counts.values()), (recipients, counts)
        service = BroadcastService(db, channels, texts, settings)
        if measure_memory:
            tracemalloc.start()
        started = time.perf_counter()
        await service.start()
        try:
            while True:
                progress = await outbox.progress(db, broadcast_id)
                if progress.pending == 0 and progress.sending == 0:
                    break
                await asyncio.sleep(0.05)
            seconds = time.perf_counter() - started
        finally:
            await service.stop()
            peak = tracemalloc.get_traced_memory()[1] if measure_memory else 0
            if measure_memory:
                tracemalloc.stop()
            channels["vk"].client.close()
            await channels["telegram"].bot.session.close()
            await channels["max"].api.close()
            for name in ("ok", "whatsapp", "gateway"):
                await channels[name].stop()
            await db.close()
    return {"seconds": seconds, "progress": progress, "peak_bytes": peak,
            "calls": {name: sender.calls_made for name, sender in service.senders.items()}}


# -- the measurements ------------------------------------------------------------------------

async def rate_run(scale: int) -> dict[str, Any]:
    counts = {name: max(1, round(n / scale)) for name, n in split(CAMPAIGN).items()}
    async with platforms(CEILINGS) as info:
        result = await broadcast(info, counts, CEILINGS)
        seen = await platform_stats(info)
    channels = {}
    for name in counts:
        stats = seen[name]
        span = (stats["last"] - stats["first"]) if stats["accepted"] > 1 else 0.0
        rate = (stats["accepted"] - 1) / span if span > 0 else float("nan")
        channels[name] = {"recipients": counts[name], "calls": stats["accepted"], "rate": rate,
                          "ratio": rate / CEILINGS[name], "rate_limited": stats["rate_limited"]}
    minimum = max(counts[name] / (CEILINGS[name] * PER_CALL[name]) for name in counts)
    return {"scale": scale, "counts": counts, "channels": channels, "seconds": result["seconds"],
            "minimum": minimum, "progress": result["progress"]}


async def memory_run(total: int) -> dict[str, Any]:
    raised = {name: ceiling * MEMORY_CEILING_FACTOR for name, ceiling in CEILINGS.items()}
    async with platforms(raised) as info:
        result = await broadcast(info, split(total), raised, MEMORY_CEILING_FACTOR, measure_memory=True)
    return {"recipients": total, "peak_bytes": result["peak_bytes"], "seconds": result["seconds"],
            "progress": result["progress"]}


def bytes_per_held_row(count: int = 10_000) -> float:
    """What one delivery costs a sender that keeps it in memory (a claimed row with its strings):
    the yardstick for "flat", since a sender holding every recipient would grow by this each."""
    from dataclasses import fields

    from storage.broadcasts import Claimed

    values = {"channel": "telegram", "language": "ru"}
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    rows = [Claimed(**{f.name: values.get(f.name, f"Житель {n}" if f.name == "name" else
                                          str(200_000_000 + n) if f.name == "external_id" else n)
                       for f in fields(Claimed)}) for n in range(count)]
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return held / len(rows)


def paced_ratio(name: str) -> float:
    """What the sender may reach of a channel's ceiling: whole calls in any second (bot.pacing)."""
    from bot.config import BroadcastSettings
    from bot.pacing import Pacer

    return Pacer(CEILINGS[name], BroadcastSettings().pace_fraction).per_window / CEILINGS[name]


def report(rates: dict[str, Any], memory: list[dict[str, Any]]) -> str:
    lines = [f"one announcement to {CAMPAIGN:,} residents, {SPLIT}, "
             f"counts divided by --scale {rates['scale']}: {rates['counts']}",
             "(the rate ratios and the 429 counts do not depend on the scale; the times do, and the start "
             "(the first claim, about a second) weighs more in the total the larger the scale)"]
    for name, row in rates["channels"].items():
        unit = "calls" if PER_CALL[name] > 1 else "messages"
        lines.append(f"  {name:9s} {row['rate']:6.2f} {unit}/s of {CEILINGS[name]:.0f}: ratio {row['ratio']:.3f} "
                     f"(target {paced_ratio(name):.3f}); rate-limit answers from the fake: {row['rate_limited']} "
                     f"(target 0); "
                     f"{row['recipients']} recipients in {row['calls']} calls")
    progress = rates["progress"]
    lines.append(f"  total     {rates['seconds']:6.1f} s against a theoretical minimum of {rates['minimum']:.1f} s "
                 f"(slowest channel's recipients / its ceiling): ratio {rates['minimum'] / rates['seconds']:.3f}; "
                 f"sent {progress.sent}, failed {progress.failed}, unknown {progress.unknown}")
    if not memory:
        return "\n".join(lines)
    lines.append(f"sender's peak Python memory (tracemalloc), ceilings raised {MEMORY_CEILING_FACTOR}× so these "
                 f"runs take seconds (the sender's seconds in flight cut as much, so it claims as many rows at "
                 f"once as at the real ceilings; {POOL} connections per platform client):")
    for row in memory:
        lines.append(f"  {row['recipients']:>7,} recipients: {row['peak_bytes'] / 2**20:6.1f} MiB peak "
                     f"({row['seconds']:.1f} s; sent {row['progress'].sent})")
    if len(memory) == 2 and memory[0]["peak_bytes"]:
        small, large = memory
        extra = large["recipients"] - small["recipients"]
        grown = large["peak_bytes"] - small["peak_bytes"]
        row = bytes_per_held_row()
        lines.append(f"  {large['recipients'] // small['recipients']}× the recipients → "
                     f"{large['peak_bytes'] / small['peak_bytes']:.2f}× the peak (target: flat): "
                     f"{grown / extra:+.1f} bytes per extra recipient, where a sender holding every "
                     f"recipient would add ≈ {row:.0f} bytes each (+{row * extra / 2**20:.0f} MiB)")
        lines.append("  (a peak is one moment: identical runs differ by about a MiB, and a longer run meets "
                     "more of its moments)")
    return "\n".join(lines)


async def measure(scale: int = 20, memory_sizes: tuple[int, ...] = MEMORY_SIZES) -> tuple[dict, list]:
    rates = await rate_run(scale)
    memory = [await memory_run(size) for size in memory_sizes]
    return rates, memory


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=20,
                        help="divide the recipient counts by this (1 = the full 29,378, about 5 minutes)")
    parser.add_argument("--memory", type=int, nargs="*", default=list(MEMORY_SIZES),
                        help="recipient counts of the memory runs (none: skip them)")
    args = parser.parse_args(argv)
    print(report(*asyncio.run(measure(max(1, args.scale), tuple(args.memory)))))


if __name__ == "__main__":
    main()
