"""``python -m bot export FORMAT``: the panel's exports from the command line, with a progress bar.

For the administration's own server, where whoever runs it already holds the database: personal
data is still left out unless ``--personal`` is given, so a file made for publishing cannot carry
it by accident. The filters are the panel's (``--status new --category tree --with-location``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from admin.export_tables import Words
from admin.exports import FORMATS, export_chunks, file_name
from admin.titles import CHANNEL_TITLES
from bot.cli_values import calendar_date, export_kind, known
from bot.config import Settings
from bot.core.plugins import Command, Feature, OpenDatabase
from bot.plurals import counted, grouped
from bot.progress import CELLS, Bar
from storage.ports.moderation import STATUSES

ROWS = ("строка", "строки", "строк")


def add_parser(commands) -> None:
    export = commands.add_parser("export", help="выгрузить предложения, ответы на опрос или жителей в файл")
    export.add_argument("format", choices=FORMATS, help="формат файла")
    export.add_argument("--kind", default="proposals", type=export_kind, metavar="ВИД",
                        help="proposals (по умолчанию), survey:<ключ опроса>, residents (нужен --personal),"
                             " all (все таблицы, XLSX)")
    export.add_argument("--output", "-o", type=Path, default=None, metavar="ФАЙЛ",
                        help="куда записать (по умолчанию: файл с именем по виду и формату, здесь)")
    export.add_argument("--personal", action="store_true", help="с именами и телефонами жителей")
    export.add_argument("--status", default="", choices=STATUSES, help="только предложения с этим статусом")
    export.add_argument("--category", default="", metavar="КАТЕГОРИЯ",
                        help="только этой категории (ключ из proposals.categories)")
    export.add_argument("--channel", default="", choices=tuple(CHANNEL_TITLES), help="только из этого канала")
    export.add_argument("--source", default="", metavar="ПЛАКАТ", help="только от жителей, пришедших с этого плаката")
    export.add_argument("--date-from", type=calendar_date, metavar="ДАТА", help="не раньше этого дня, ГГГГ-ММ-ДД")
    export.add_argument("--date-to", type=calendar_date, metavar="ДАТА", help="не позже этого дня, ГГГГ-ММ-ДД")
    export.add_argument("--q", default="", metavar="СЛОВА", help="только со словами в тексте")
    export.add_argument("--with-photo", action="store_true", help="только с фото")
    export.add_argument("--with-location", action="store_true", help="только с местом на карте")


def progress_bar(total: int, stream: TextIO = sys.stderr) -> Bar:
    """A bar on stderr, redrawn at most ten times a second: [#####-----] 45 000 из 100 000; for a
    survey's responses, which are not counted ahead, the rows so far: 45 000 строк."""
    return Bar(total=total or None, file=stream, mininterval=0.1, leave=True,
               bar_format=f"[{CELLS}] {{done}} из {{of}}" if total else "{rows}",
               fields=lambda bar: {"done": grouped(bar.n), "of": grouped(bar.total or 0), "rows": counted(bar.n, ROWS)})


async def run_export(settings: Settings, arguments: argparse.Namespace,
                     open_database: OpenDatabase) -> tuple[Path, int]:
    """Write the export to its file; (path, rows) when done."""

    if arguments.kind == "residents" and not arguments.personal:
        raise ValueError("список жителей — персональные данные: добавьте --personal")
    categories = {category.key: category.title_in("ru") for category in settings.proposals.categories}
    known("--category", arguments.category, "нет такой категории", categories)
    from admin.proposals import filters_from

    where = filters_from({"status": arguments.status, "category": arguments.category, "channel": arguments.channel,
                          "source": arguments.source, "from": arguments.date_from or "", "to": arguments.date_to or "",
                          "q": arguments.q, "photo": "1" if arguments.with_photo else "",
                          "location": "1" if arguments.with_location else ""},
                         time_zone=settings.project.time_zone)
    path = arguments.output or Path(file_name(arguments.format, arguments.kind, where))
    db = await open_database()
    rows = 0
    try:
        if arguments.source:
            sources = (await db.reader.moderation.facets())["sources"]
            known("--source", arguments.source, "ни одно предложение не пришло с этого плаката", sources)
        if arguments.kind.startswith("survey:"):
            keys = [key for _, key, _ in await db.reader.exports.surveys()]
            known("--kind", arguments.kind, "нет такого опроса", [f"survey:{key}" for key in keys])
        total = await db.reader.exports.count_proposals(where) if arguments.kind in ("proposals", "all") else 0
        partial = path.with_name(path.name + ".part")
        with progress_bar(total) as bar, partial.open("wb") as file:  # the bar's line ends, whatever happens
            def progress(done: int) -> None:
                nonlocal rows
                rows = done
                bar.update(done - bar.n)

            async for chunk in export_chunks(db.reader, arguments.format, arguments.kind, where,
                                             arguments.personal, progress, words=Words.of(settings)):
                file.write(chunk)
            if bar.total is not None and rows > bar.total:  # rows added since they were counted
                bar.total = rows
        partial.replace(path)  # a file under the final name is always a whole one
    finally:
        await db.close()
    return path, rows


def run(settings: Settings, arguments: argparse.Namespace, open_database: OpenDatabase) -> int:
    import asyncio

    try:
        path, rows = asyncio.run(run_export(settings, arguments, open_database))
    except ValueError as error:
        print(f"Ничего не выгружено: {error}", file=sys.stderr)
        return 2
    print(f"Готово: {counted(rows, ROWS)} в файле {path}")
    return 0


FEATURE = Feature("exports", commands=(Command("export", add_parser, run),))
