"""The connection surface the repositories use, whatever the engine: one SQL text for both.

The repositories (``storage/<repo>.py``) were written against aiosqlite, and keep its shape:
``execute`` (awaited for a cursor with ``rowcount``, ``fetchone``, ``fetchall``, async
iteration), ``execute_fetchall`` and ``executemany``, ``?`` (or ``:name``) placeholders, rows read
by position and by column name. ``SqliteConnection`` is aiosqlite's connection with the
``dialect`` mark; ``storage.postgres.connection.PostgresConnection`` gives the same surface over
psycopg. Where the SQL of the two engines genuinely differs (full-text search, JSON functions),
a repository picks its statement by ``connection.dialect`` — few such places, each named.
"""
from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Iterable
from pathlib import Path
from typing import Any, Literal, Protocol

import aiosqlite

Dialect = Literal["sqlite", "postgresql"]


class IntegrityError(sqlite3.IntegrityError):
    """A constraint refused a write (a name already taken), on either engine: a subclass of
    sqlite3's, so that callers catching that one catch PostgreSQL's too."""


class SqlCursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    async def fetchone(self) -> Any: ...

    async def fetchall(self) -> Iterable[Any]: ...

    def __aiter__(self) -> AsyncIterator[Any]: ...


class SqlConnection(Protocol):
    """What a repository may ask of its connection."""

    dialect: Dialect

    def execute(self, sql: str, parameters: Any = None) -> Awaitable[SqlCursor]: ...

    def execute_fetchall(self, sql: str, parameters: Any = None) -> Awaitable[Iterable[Any]]: ...

    def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Awaitable[SqlCursor]: ...


class SqliteConnection(aiosqlite.Connection):
    """aiosqlite's connection, marked with its dialect."""

    dialect: Dialect = "sqlite"


def connect_sqlite(path: Path | str) -> SqliteConnection:
    """``aiosqlite.connect`` for ``SqliteConnection`` (autocommit: the transactions are ours)."""
    return SqliteConnection(lambda: sqlite3.connect(str(path), isolation_level=None), 64)


def json_text_at(dialect: Dialect, column: str, *path: str) -> str:
    """SQL for the text at ``path`` inside the JSON text of ``column``, NULL where the text is no
    JSON or has nothing there. ``column`` and ``path`` are our own names, never input."""
    if dialect == "postgresql":  # json_text_at(): storage/migrations/postgres/0001_schema.sql
        return f"json_text_at({column}, '{{{','.join(path)}}}')"
    return f"CASE WHEN json_valid({column}) THEN json_extract({column}, '$.{'.'.join(path)}') END"


def row_lock(dialect: Dialect, *, skip_locked: bool = False) -> str:
    """The clause that locks the rows a batch is about to change, until its commit, on an engine
    whose writers run side by side (several bot processes on PostgreSQL): a second process then
    waits for them (or, ``skip_locked``, passes them by: another process is processing that
    event). SQLite needs none: its write lock already serialises whole transactions."""
    if dialect != "postgresql":
        return ""
    return " FOR UPDATE SKIP LOCKED" if skip_locked else " FOR UPDATE"

