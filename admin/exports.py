"""Exports of proposals, survey responses and residents as CSV, XLSX, GeoJSON and JSON.

Every format is an async generator of byte chunks fed by the paged queries in storage/exports.py,
so the panel streams a download (aiohttp ``StreamResponse``) and the CLI writes a file with the
same code, and 100,000 rows cost one page of memory. XLSX is the exception that proves the rule:
a workbook is a zip that can only be finished at the end, so openpyxl's write-only mode spills
rows to a temporary file and the finished file is streamed from disk. What the columns hold, in
the panel's words and the town's clock, is admin/export_tables.py; here is only how each format
writes it.

Residents' text lands in officials' spreadsheets: a cell that begins with ``=``, ``+``, ``-``,
``@`` (or a tab or carriage return) would be read as a formula, so it is prefixed with ``'``.

The CSV is made for Excel as a Russian office has it: UTF-8 with a BOM (or Cyrillic comes out
garbled), ``;`` between fields (the list separator of the Russian locale: with ``,`` the whole
row lands in column A), times as «02.12.2026 06:20», which that Excel reads as a date and time
(an ISO stamp with an offset stays text there), and «да»/«нет» for yes and no.
"""
from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json
import os
import tempfile
from datetime import datetime
from typing import Any, AsyncIterator, Callable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from admin.export_tables import Column, Table, Words, proposal_columns, tables
from bot.localtime import DATE_TIME
from storage.ports.moderation import ProposalFilter
from storage.ports.repositories import Repositories

FORMATS = ("csv", "xlsx", "geojson", "json")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json",
               "geojson": "application/geo+json",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
CSV_DELIMITER = ";"
XLSX_DATE_TIME = "DD.MM.YYYY HH:MM"
YES_NO = {True: "да", False: "нет"}
Progress = Callable[[int], None]


def neutralise(value: Any) -> Any:
    """A string a spreadsheet would take for a formula, made plain text; other values unchanged."""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime(DATE_TIME)
    if isinstance(value, bool):
        return YES_NO[value]
    return neutralise(value)


def _json_value(value: Any) -> Any:
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else value


async def csv_chunks(reader: Repositories, words: Words, kind: str, where: ProposalFilter, personal: bool,
                     progress: Progress | None = None) -> AsyncIterator[bytes]:
    """One table as UTF-8 CSV with a BOM (so Excel reads Cyrillic), a chunk per page; "all" is
    the proposals (a CSV file has one table)."""
    async for chunk in csv_of(tables(reader, words, "proposals" if kind == "all" else kind, where, personal),
                              progress):
        yield chunk


async def csv_of(found: AsyncIterator[Table], progress: Progress | None = None) -> AsyncIterator[bytes]:
    """The first of ``found`` as CSV, whatever made the table (the volunteers' list too)."""
    done = 0
    async for table in found:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=CSV_DELIMITER)
        writer.writerow([column.header for column in table.columns])
        yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
        async for page in table.rows:
            buffer.seek(0)
            buffer.truncate()
            writer.writerows([[_csv_value(v) for v in row] for row in page])
            yield buffer.getvalue().encode("utf-8")
            done += len(page)
            if progress:
                progress(done)
        break


def _width(column: Column) -> float:
    """Wide enough for the header, and for a whole date and time (Excel shows ##### otherwise)."""
    if column.key == "text":
        return 60
    return max(len(column.header) + 2, 18 if column.time else 10)


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    """A time as a real date cell in the town's wall time; a yes/no as «да»/«нет»; control
    characters XML cannot hold dropped (openpyxl would refuse the whole row)."""
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))
        cell.number_format = XLSX_DATE_TIME
        return cell
    if isinstance(value, bool):
        return YES_NO[value]
    if isinstance(value, str):
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


async def xlsx_chunks(reader: Repositories, words: Words, kind: str, where: ProposalFilter, personal: bool,
                      progress: Progress | None = None, chunk: int = 256 * 1024) -> AsyncIterator[bytes]:
    """A workbook with one sheet per table (a survey with waves: one per wave and «Динамика»);
    rows go to openpyxl in a thread, page by page."""
    async for data in xlsx_of(tables(reader, words, kind, where, personal, by_wave=True), progress, chunk):
        yield data


async def xlsx_of(found: AsyncIterator[Table], progress: Progress | None = None,
                  chunk: int = 256 * 1024) -> AsyncIterator[bytes]:
    """Each of ``found`` as a sheet of one workbook, whatever made the tables."""
    book = Workbook(write_only=True)
    done = 0
    async for table in found:
        sheet = book.create_sheet(table.title)
        for number, column in enumerate(table.columns, start=1):
            sheet.column_dimensions[get_column_letter(number)].width = _width(column)
        sheet.freeze_panes = "A2"
        sheet.append([column.header for column in table.columns])
        async for page in table.rows:
            await asyncio.to_thread(_append, sheet, page)
            done += len(page)
            if progress:
                progress(done)
    if not book.worksheets:
        book.create_sheet("Пусто")
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        await asyncio.to_thread(book.save, path)
        with open(path, "rb") as file:
            while data := await asyncio.to_thread(file.read, chunk):
                yield data
    finally:
        os.unlink(path)


def _append(sheet: Any, page: list[list[Any]]) -> None:
    for row in page:
        sheet.append([_xlsx_cell(sheet, v) for v in row])


async def geojson_chunks(reader: Repositories, words: Words, kind: str, where: ProposalFilter, personal: bool,
                         progress: Progress | None = None) -> AsyncIterator[bytes]:
    """A FeatureCollection of the proposals that have a map point: with ``category`` set in the
    filter it is that category's layer (ideas, problems, trees, lost functions) for QGIS. Each
    feature's properties hold the titles staff read and the keys a GIS styles by (``status``
    «принято в проект» and ``status_key`` accepted)."""
    where = dataclasses.replace(where, with_location=True)
    name = words.categories.get(where.category, where.category) if where.category else "Предложения"
    columns = [c for c in proposal_columns(words, personal) if c.key != "point"]
    yield ('{"type": "FeatureCollection", "name": ' + json.dumps(name, ensure_ascii=False)
           + ', "features": [\n').encode("utf-8")
    first, done = True, 0
    async for page in reader.exports.proposals(where, personal):
        parts = []
        for row in page:
            properties = {column.key: _json_value(column.value(row)) for column in columns}
            feature = {"type": "Feature", "geometry": {"type": "Point",
                                                       "coordinates": [row["longitude"], row["latitude"]]},
                       "properties": properties}
            parts.append(("" if first else ",\n") + json.dumps(feature, ensure_ascii=False))
            first = False
        yield "".join(parts).encode("utf-8")
        done += len(page)
        if progress:
            progress(done)
    yield b"\n]}\n"


async def json_chunks(reader: Repositories, words: Words, kind: str, where: ProposalFilter, personal: bool,
                      progress: Progress | None = None) -> AsyncIterator[bytes]:
    """One table as a JSON array of objects keyed by the column keys (a survey's answers under
    "q:<question key>"), the same words as the spreadsheet and the keys beside them, times in
    ISO 8601 with the town's offset; "all" is the proposals."""
    yield b"[\n"
    first, done = True, 0
    async for table in tables(reader, words, "proposals" if kind == "all" else kind, where, personal):
        keys = [column.key for column in table.columns]
        async for page in table.rows:
            parts = []
            for row in page:
                item = {key: _json_value(value) for key, value in zip(keys, row)}
                parts.append(("" if first else ",\n") + json.dumps(item, ensure_ascii=False))
                first = False
            yield "".join(parts).encode("utf-8")
            done += len(page)
            if progress:
                progress(done)
        break
    yield b"\n]\n"


WRITERS = {"csv": csv_chunks, "xlsx": xlsx_chunks, "geojson": geojson_chunks, "json": json_chunks}


def export_chunks(reader: Repositories, fmt: str, kind: str, where: ProposalFilter, personal: bool,
                  progress: Progress | None = None, *, words: Words) -> AsyncIterator[bytes]:
    """The one entry point: the panel and ``python -m bot export`` both come through here, with
    ``Words.of(settings)`` so that a file says what the panel says."""
    if fmt not in WRITERS:
        raise ValueError(f"неизвестный формат «{fmt}»; можно: {', '.join(FORMATS)}")
    return WRITERS[fmt](reader, words, kind, where, personal, progress)


def file_name(fmt: str, kind: str, where: ProposalFilter) -> str:
    """An ASCII file name that says what is inside: proposals-tree.geojson, survey-park.csv."""
    stem = kind.replace("survey:", "survey-") if kind != "all" else "souchastie"
    if fmt == "geojson":
        stem = "proposals" + (f"-{where.category}" if where.category else "")
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in stem)
    return f"{safe}.{fmt}"
