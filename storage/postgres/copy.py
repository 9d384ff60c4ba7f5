"""A SQLite campaign moved to PostgreSQL: ``python -m bot db copy``.

Why a copy of rows, not a dump: the two schemas hold the same tables and columns
(``tests/test_postgres_schema.py`` keeps them so), but not the same engine's internals — SQLite's
FTS5 shadow tables have no place on PostgreSQL, whose search index is built from the texts
(``storage/postgres/search_index.py``). So each table is read from SQLite and written with
PostgreSQL's ``COPY``, parents before children (foreign keys), in one transaction: a copy that
fails half-way leaves the target as empty as it was. Ids are kept, so receipts («П-17»), links
and exports stay the same; each identity sequence then continues after the highest id SQLite
ever gave (``sqlite_sequence``: an id once used is never given again, as migration 0013 promises).
A column that points to its own table (a duplicate's original) is written after all the rows.
Only an empty target is written to: copying twice, or over a live campaign, would mix two towns.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from storage.postgres.connection import PostgresConnection
from storage.postgres.database import PostgresDatabase
from storage.postgres.search_index import refresh

BATCH = 2_000  # rows read from SQLite at a time


class CopyRefused(Exception):
    """The copy cannot be made; the message says why, in Russian, for staff."""


@dataclass(frozen=True)
class Table:
    name: str
    columns: list[str]
    self_references: list[str]  # columns naming a row of the same table


def _sqlite_tables(source: sqlite3.Connection) -> list[str]:
    """The tables of the campaign, without SQLite's own and the full-text index's shadow tables."""
    virtual = {row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                                " AND sql LIKE 'CREATE VIRTUAL TABLE%'")}
    names = [row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                              " AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return [name for name in names if name not in virtual and not any(name.startswith(v + "_") for v in virtual)]


def _in_order(source: sqlite3.Connection, names: list[str]) -> list[str]:
    """Parents before the tables whose foreign keys name them."""
    parents = {name: {row[2] for row in source.execute(f"PRAGMA foreign_key_list('{name}')")} - {name}
               for name in names}
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [name for name in names if name not in ordered and parents[name] <= set(ordered)]
        if not ready:
            raise CopyRefused("таблицы ссылаются друг на друга по кругу: "
                              + ", ".join(name for name in names if name not in ordered))
        ordered.extend(ready)
    return ordered


async def _target_columns(target: psycopg.AsyncConnection[Any], table: str) -> list[str]:
    cursor = await target.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND table_name = %s ORDER BY ordinal_position", (table,))
    return [row[0] for row in await cursor.fetchall()]


async def _plan(source: sqlite3.Connection, target: psycopg.AsyncConnection[Any]) -> list[Table]:
    tables = []
    for name in _in_order(source, _sqlite_tables(source)):
        theirs = await _target_columns(target, name)
        ours = [row[1] for row in source.execute(f"PRAGMA table_info('{name}')")]
        missing = [column for column in ours if column not in theirs]
        if not theirs or missing:
            raise CopyRefused(f"в базе PostgreSQL нет {'таблицы ' + name if not theirs else 'столбцов ' + name + ': '}"
                              f"{', '.join(missing) if theirs else ''}; версии схем расходятся"
                              " (обновите бота и выполните db upgrade для обеих баз)")
        self_references = [row[3] for row in source.execute(f"PRAGMA foreign_key_list('{name}')") if row[2] == name]
        tables.append(Table(name, ours, self_references))
    return tables


async def _refuse_unless_empty(target: psycopg.AsyncConnection[Any], tables: list[Table]) -> None:
    for table in tables:
        cursor = await target.execute(f'SELECT EXISTS (SELECT 1 FROM "{table.name}")')
        row = await cursor.fetchone()
        if row and row[0]:
            raise CopyRefused(f"в базе PostgreSQL уже есть данные (таблица {table.name}): копировать можно"
                              " только в пустую базу, иначе смешаются две кампании")


async def _copy_table(source: sqlite3.Connection, target: psycopg.AsyncConnection[Any], table: Table) -> int:
    columns = ", ".join(f'"{column}"' for column in table.columns)
    later = [table.columns.index(column) for column in table.self_references]
    deferred: list[tuple[Any, ...]] = []
    order = ' ORDER BY "id"' if "id" in table.columns else ""
    rows = source.execute(f'SELECT {columns} FROM "{table.name}"{order}')
    count = 0
    async with target.cursor() as cursor:
        async with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
            while batch := rows.fetchmany(BATCH):
                for row in batch:
                    values = list(row)
                    if later and any(values[i] is not None for i in later):
                        deferred.append((values[table.columns.index("id")], *(values[i] for i in later)))
                        for i in later:
                            values[i] = None
                    await copy.write_row(values)
                count += len(batch)
        for id_and_references in deferred:
            assignments = ", ".join(f'"{column}" = %s' for column in table.self_references)
            await cursor.execute(f'UPDATE "{table.name}" SET {assignments} WHERE id = %s',
                                 (*id_and_references[1:], id_and_references[0]))
    return count


async def _continue_identities(source: sqlite3.Connection, target: psycopg.AsyncConnection[Any],
                               tables: list[Table]) -> None:
    """Each identity sequence goes on after the highest id SQLite ever gave in that table."""
    given = dict(source.execute("SELECT name, seq FROM sqlite_sequence").fetchall()) if source.execute(
        "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone() else {}
    for table in (table for table in tables if "id" in table.columns):
        cursor = await target.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table.name,))
        row = await cursor.fetchone()
        if not row or not row[0]:
            continue
        cursor = await target.execute(f'SELECT coalesce(max(id), 0) FROM "{table.name}"')
        highest = await cursor.fetchone()
        last = max(int(highest[0]) if highest else 0, int(given.get(table.name) or 0))
        if last:
            await target.execute("SELECT setval(%s, %s)", (row[0], last))


async def copy_to_postgresql(source_path: Path, url: str,
                             progress: Callable[[str, int], None] = lambda table, rows: None) -> list[tuple[str, int]]:
    """Copy the SQLite database at ``source_path`` (already migrated to this release) into the
    empty PostgreSQL database at ``url`` (migrated here); the rows copied per table."""
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        target_db = await PostgresDatabase.open(url)
        try:
            async with target_db.pooled() as target, target.transaction():
                tables = await _plan(source, target)
                await _refuse_unless_empty(target, tables)
                copied = []
                for table in tables:
                    rows = await _copy_table(source, target, table)
                    progress(table.name, rows)
                    copied.append((table.name, rows))
                await _continue_identities(source, target, tables)
                await refresh(PostgresConnection(target))  # the search index, from the copied texts
        finally:
            await target_db.close()
    finally:
        source.close()
    return copied
