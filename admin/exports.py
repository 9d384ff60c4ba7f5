"""Exports of proposals, survey responses and residents as CSV, XLSX, GeoJSON and JSON.

Every format is an async generator of byte chunks fed by the paged queries in storage/exports.py,
so the panel streams a download (aiohttp ``StreamResponse``) and the CLI writes a file with the
same code, and 100,000 rows cost one page of memory. XLSX is the exception that proves the rule:
a workbook is a zip that can only be finished at the end, so openpyxl's write-only mode spills
rows to a temporary file and the finished file is streamed from disk.

Residents' text lands in officials' spreadsheets: a cell that begins with ``=``, ``+``, ``-``,
``@`` (or a tab or carriage return) would be read as a formula, so it is prefixed with ``'``.
"""
from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json
import os
import tempfile
from typing import Any, AsyncIterator, Callable

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from storage.exports import PROPOSAL_COLUMNS, PROPOSAL_PERSONAL, RESIDENT_COLUMNS
from storage.moderation import ProposalFilter
from storage.repositories import Repositories

FORMATS = ("csv", "xlsx", "geojson", "json")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json",
               "geojson": "application/geo+json",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
HEADERS = {
    "id": "Номер", "created_at": "Дата", "channel": "Канал", "source": "Источник", "category": "Категория",
    "status": "Статус", "text": "Текст", "address": "Адрес", "latitude": "Широта", "longitude": "Долгота",
    "point": "Координаты", "photos": "Фото", "supports": "Поддержали", "resident_id": "Житель", "author_name": "Имя автора",
    "author_phone": "Телефон автора", "started_at": "Начат", "completed_at": "Завершён",
    "external_id": "ID в мессенджере", "display_name": "Имя", "phone": "Телефон", "language": "Язык",
    "first_source": "Первый источник", "reachable": "Доступен", "consent_at": "Согласие",
}
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
Progress = Callable[[int], None]


def neutralise(value: Any) -> Any:
    """A string a spreadsheet would take for a formula, made plain text; other values unchanged."""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def proposal_columns(personal: bool) -> tuple[str, ...]:
    base = PROPOSAL_COLUMNS[:10] + ("point",) + PROPOSAL_COLUMNS[10:]
    return base + (PROPOSAL_PERSONAL if personal else ())


def _proposal_row(row: dict[str, Any], columns: tuple[str, ...]) -> list[Any]:
    point = "" if row["latitude"] is None else f"{row['latitude']}, {row['longitude']}"
    return [point if c == "point" else row.get(c) for c in columns]


def survey_columns(definition: dict[str, Any], personal: bool) -> tuple[list[str], list[str]]:
    """(keys, headers): the response's own fields, then one column per question in order."""
    keys = ["id", "channel", "started_at", "completed_at"] + (list(PROPOSAL_PERSONAL) if personal else [])
    questions = [q["key"] for q in definition.get("questions", [])]
    titles = [(q.get("text") or {}).get("ru") or q["key"] for q in definition.get("questions", [])]
    return keys + [f"q:{k}" for k in questions], [HEADERS.get(k, k) for k in keys] + titles


def _survey_row(item: dict[str, Any], keys: list[str]) -> list[Any]:
    answers = item["answers"]
    row = []
    for key in keys:
        if key.startswith("q:"):
            answer = answers.get(key[2:])
            row.append("; ".join(map(str, answer)) if isinstance(answer, list)
                       else json.dumps(answer, ensure_ascii=False) if isinstance(answer, dict) else answer)
        else:
            row.append(item.get(key))
    return row


async def _tables(reader: Repositories, kind: str, where: ProposalFilter,
                  personal: bool) -> AsyncIterator[tuple[str, list[str], list[str], AsyncIterator[list[list[Any]]]]]:
    """(sheet title, column keys, headers, pages of rows) for each table a kind exports.

    kind: "proposals", "survey:<key>", "residents", or "all" (every table the role may have)."""
    if kind in ("proposals", "all"):
        columns = proposal_columns(personal)

        async def proposal_pages() -> AsyncIterator[list[list[Any]]]:
            async for page in reader.exports.proposals(where, personal):
                yield [_proposal_row(row, columns) for row in page]
        yield "Предложения", list(columns), [HEADERS[c] for c in columns], proposal_pages()
    if kind == "all" or kind.startswith("survey:"):
        for survey_id, key, definition in await reader.exports.surveys():
            if kind != "all" and kind != f"survey:{key}":
                continue
            keys, headers = survey_columns(definition, personal)

            async def survey_pages(survey_id: int = survey_id, keys: list[str] = keys) -> AsyncIterator[list[list[Any]]]:
                async for page in reader.exports.survey_responses(survey_id, personal):
                    yield [_survey_row(item, keys) for item in page]
            yield f"Опрос {key}"[:31], keys, headers, survey_pages()
    if personal and kind in ("residents", "all"):
        async def resident_pages() -> AsyncIterator[list[list[Any]]]:
            async for page in reader.exports.residents():
                yield [[row[c] for c in RESIDENT_COLUMNS] for row in page]
        yield "Жители", list(RESIDENT_COLUMNS), [HEADERS[c] for c in RESIDENT_COLUMNS], resident_pages()


async def csv_chunks(reader: Repositories, kind: str, where: ProposalFilter, personal: bool,
                     progress: Progress | None = None) -> AsyncIterator[bytes]:
    """One table as UTF-8 CSV with a BOM (so Excel reads Cyrillic), a chunk per page; "all" is
    the proposals (a CSV file has one table)."""
    done = 0
    async for _, _, headers, pages in _tables(reader, "proposals" if kind == "all" else kind, where, personal):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headers)
        yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
        async for page in pages:
            buffer.seek(0)
            buffer.truncate()
            writer.writerows([[neutralise(v) for v in row] for row in page])
            yield buffer.getvalue().encode("utf-8")
            done += len(page)
            if progress:
                progress(done)
        break


def _xlsx_cell(value: Any) -> Any:
    """Control characters XML cannot hold are dropped (openpyxl would refuse the whole row)."""
    if isinstance(value, str):
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


async def xlsx_chunks(reader: Repositories, kind: str, where: ProposalFilter, personal: bool,
                      progress: Progress | None = None, chunk: int = 256 * 1024) -> AsyncIterator[bytes]:
    """A workbook with one sheet per table; rows go to openpyxl in a thread, page by page."""
    book = Workbook(write_only=True)
    done = 0
    async for title, _, headers, pages in _tables(reader, kind, where, personal):
        sheet = book.create_sheet(title)
        sheet.append(headers)
        async for page in pages:
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
        sheet.append([_xlsx_cell(v) for v in row])


async def geojson_chunks(reader: Repositories, kind: str, where: ProposalFilter, personal: bool,
                         progress: Progress | None = None) -> AsyncIterator[bytes]:
    """A FeatureCollection of the proposals that have a map point: with ``category`` set in the
    filter it is that category's layer (ideas, problems, trees, lost functions) for QGIS."""
    where = dataclasses.replace(where, with_location=True)
    name = where.category or "proposals"
    yield ('{"type": "FeatureCollection", "name": ' + json.dumps(name) + ', "features": [\n').encode()
    first, done = True, 0
    async for page in reader.exports.proposals(where, personal):
        parts = []
        for row in page:
            properties = {k: v for k, v in row.items() if k not in ("latitude", "longitude")}
            properties.update(latitude=row["latitude"], longitude=row["longitude"])
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


async def json_chunks(reader: Repositories, kind: str, where: ProposalFilter, personal: bool,
                      progress: Progress | None = None) -> AsyncIterator[bytes]:
    """One table as a JSON array of objects keyed by the column keys (a survey's answers under
    "q:<question key>"); "all" is the proposals."""
    yield b"[\n"
    first, done = True, 0
    async for _, keys, _, pages in _tables(reader, "proposals" if kind == "all" else kind, where, personal):
        async for page in pages:
            parts = []
            for row in page:
                parts.append(("" if first else ",\n") + json.dumps(dict(zip(keys, row)), ensure_ascii=False))
                first = False
            yield "".join(parts).encode("utf-8")
            done += len(page)
            if progress:
                progress(done)
        break
    yield b"\n]\n"


WRITERS = {"csv": csv_chunks, "xlsx": xlsx_chunks, "geojson": geojson_chunks, "json": json_chunks}


def export_chunks(reader: Repositories, fmt: str, kind: str, where: ProposalFilter, personal: bool,
                  progress: Progress | None = None) -> AsyncIterator[bytes]:
    """The one entry point: the panel and ``python -m bot export`` both come through here."""
    if fmt not in WRITERS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    return WRITERS[fmt](reader, kind, where, personal, progress)


def file_name(fmt: str, kind: str, where: ProposalFilter) -> str:
    """An ASCII file name that says what is inside: proposals-tree.geojson, survey-park.csv."""
    stem = kind.replace("survey:", "survey-") if kind != "all" else "souchastie"
    if fmt == "geojson":
        stem = "proposals" + (f"-{where.category}" if where.category else "")
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in stem)
    return f"{safe}.{fmt}"
