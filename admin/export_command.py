"""``python -m bot export FORMAT``: the panel's exports from the command line, with a progress bar.

For the administration's own server, where whoever runs it already holds the database: personal
data is still left out unless ``--personal`` is given, so a file made for publishing cannot carry
it by accident. The filters are the panel's (``--status new --category tree --with-location``).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TextIO

from admin.export_tables import Words
from admin.exports import FORMATS, export_chunks, file_name
from bot.config import Settings

BAR = 30


def add_parser(commands) -> None:
    export = commands.add_parser("export", help="export proposals, survey responses or residents to a file")
    export.add_argument("format", choices=FORMATS)
    export.add_argument("--kind", default="proposals",
                        help="proposals (default), survey:<key>, residents (needs --personal), all (XLSX)")
    export.add_argument("--output", "-o", type=Path, default=None,
                        help="the file to write (default: a name after the kind and format, here)")
    export.add_argument("--personal", action="store_true", help="include residents' names and phones")
    for name in ("status", "category", "channel", "source", "date-from", "date-to", "q"):
        export.add_argument(f"--{name}", default="", help=f"only proposals with this {name.replace('-', ' ')}")
    export.add_argument("--with-photo", action="store_true")
    export.add_argument("--with-location", action="store_true")


class ProgressBar:
    """A bar on stderr, redrawn at most ten times a second: [#####-----] 45,000 of 100,000."""

    def __init__(self, total: int, stream: TextIO = sys.stderr) -> None:
        self.total, self.stream, self._drawn = total, stream, 0.0

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if now - self._drawn < 0.1 and done < self.total:
            return
        self._drawn = now
        if not self.total:  # a survey's responses are not counted ahead: rows so far
            self.stream.write(f"\r{done:,} rows")
        else:
            filled = int(min(1.0, done / self.total) * BAR)
            self.stream.write(f"\r[{'#' * filled}{'-' * (BAR - filled)}] {done:,} of {self.total:,} rows")
        self.stream.flush()

    def finish(self, done: int) -> None:
        self._drawn = 0.0
        self.total = max(self.total, done) if self.total else 0
        self(done)
        self.stream.write("\n")


async def run_export(settings: Settings, arguments: argparse.Namespace) -> tuple[Path, int]:
    """Write the export to its file; (path, rows) when done."""
    from storage.database import Database

    if arguments.kind == "residents" and not arguments.personal:
        raise ValueError("residents are personal data: add --personal")
    from admin.proposals import filters_from

    where = filters_from({"status": arguments.status, "category": arguments.category, "channel": arguments.channel,
                          "source": arguments.source, "from": arguments.date_from, "to": arguments.date_to,
                          "q": arguments.q, "photo": "1" if arguments.with_photo else "",
                          "location": "1" if arguments.with_location else ""},
                         time_zone=settings.project.time_zone)
    path = arguments.output or Path(file_name(arguments.format, arguments.kind, where))
    db = await Database.open(settings.storage.path, busy_timeout_ms=settings.storage.busy_timeout_ms,
                             synchronous=settings.storage.synchronous)
    rows = 0
    try:
        if arguments.kind.startswith("survey:"):
            keys = [key for _, key, _ in await db.reader.exports.surveys()]
            if arguments.kind.removeprefix("survey:") not in keys:
                raise ValueError(f"there is no survey {arguments.kind.removeprefix('survey:')!r};"
                                 f" surveys: {', '.join(keys) or 'none'}")
        total = await db.reader.exports.count_proposals(where) if arguments.kind in ("proposals", "all") else 0
        bar = ProgressBar(total)

        def progress(done: int) -> None:
            nonlocal rows
            rows = done
            bar(done)

        partial = path.with_name(path.name + ".part")
        with partial.open("wb") as file:
            async for chunk in export_chunks(db.reader, arguments.format, arguments.kind, where,
                                             arguments.personal, progress, words=Words.of(settings)):
                file.write(chunk)
        partial.replace(path)  # a file under the final name is always a whole one
        bar.finish(rows)
    finally:
        await db.close()
    return path, rows


def run(settings: Settings, arguments: argparse.Namespace) -> int:
    import asyncio

    try:
        path, rows = asyncio.run(run_export(settings, arguments))
    except ValueError as error:
        print(f"nothing exported: {error}", file=sys.stderr)
        return 2
    print(f"exported {rows:,} rows to {path}")
    return 0
