"""Exporting proposals to CSV and XLSX: time and peak memory at 10,000 and 100,000 rows.

The claim under test is "streamed, so 100,000 rows stay within flat memory": if the export held
its rows, the peak would grow tenfold from 10,000 to 100,000 rows; streamed page by page, it stays
about the same. Peak memory is what Python allocated during the export (tracemalloc), measured
in a second run of it (the first is timed untraced), with the bytes going to a counter rather
than a file (XLSX still spills to its temporary file, as in the panel). Printed side by side,
with the 100k/10k ratios.
"""
from __future__ import annotations

import asyncio
import tempfile
import time
import tracemalloc
from pathlib import Path

from admin.export_tables import Words
from admin.exports import export_chunks
from bot.config import Settings
from storage.database import Database
from storage.moderation import ProposalFilter
from storage.proposals import NewProposal

SIZES = (10_000, 100_000)
CATEGORIES = ("idea", "problem", "tree", "lost")
WORDS = Words.of(Settings())
TEXT = "Предлагаю поставить скамейки и фонари вдоль аллеи, посадить липы у входа; =SUM(A1) №{}"


async def fill(db: Database, upto: int, have: int) -> None:
    """Add proposals until there are ``upto`` (a realistic text, a map point on most)."""
    for start in range(have, upto, 5000):
        async with db.transaction() as tx:
            for number in range(start, min(upto, start + 5000)):
                located = number % 4 != 0
                await tx.proposals.create(NewProposal(
                    None, "webchat", f"poster_{number % 120}", CATEGORIES[number % 4], TEXT.format(number),
                    address="ул. Строителей, 12" if number % 3 else "",
                    latitude=50.09 + number % 100 / 10_000 if located else None,
                    longitude=118.03 + number % 100 / 10_000 if located else None))


async def _drain(db: Database, fmt: str) -> int:
    produced = 0
    async for chunk in export_chunks(db.reader, fmt, "proposals", ProposalFilter(), personal=True, words=WORDS):
        produced += len(chunk)
    return produced


async def export_once(db: Database, fmt: str) -> tuple[float, int, int]:
    """(seconds, peak bytes allocated, bytes produced) of a whole export: timed in one run and
    traced in another, since tracemalloc slows allocation-heavy code several times over."""
    started = time.perf_counter()
    produced = await _drain(db, fmt)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    await _drain(db, fmt)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak, produced


async def measure(sizes: tuple[int, ...] = SIZES) -> dict[int, dict[str, tuple[float, int, int]]]:
    results: dict[int, dict[str, tuple[float, int, int]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "bench.db")
        try:
            have = 0
            for size in sizes:
                await fill(db, size, have)
                have = size
                results[size] = {fmt: await export_once(db, fmt) for fmt in ("csv", "xlsx")}
        finally:
            await db.close()
    return results


def report(results: dict[int, dict[str, tuple[float, int, int]]]) -> str:
    mib = 1024 * 1024
    lines = [f"{'rows':>8} | {'CSV s':>7} {'CSV peak MiB':>13} {'CSV MiB':>8} | "
             f"{'XLSX s':>7} {'XLSX peak MiB':>14} {'XLSX MiB':>9}"]
    for size, by_format in results.items():
        (cs, cp, cb), (xs, xp, xb) = by_format["csv"], by_format["xlsx"]
        lines.append(f"{size:>8,} | {cs:>7.2f} {cp / mib:>13.1f} {cb / mib:>8.1f} | "
                     f"{xs:>7.2f} {xp / mib:>14.1f} {xb / mib:>9.1f}")
    if len(results) >= 2:
        small, large = list(results)[0], list(results)[-1]
        for fmt in ("csv", "xlsx"):
            time_ratio = results[large][fmt][0] / results[small][fmt][0]
            peak_ratio = results[large][fmt][1] / results[small][fmt][1]
            lines.append(f"{fmt.upper():>4}: {large // small}x the rows took {time_ratio:.1f}x the time"
                         f" and {peak_ratio:.2f}x the peak memory")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(asyncio.run(measure())))
