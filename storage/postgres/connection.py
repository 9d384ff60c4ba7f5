"""The repositories' connection surface (``storage.sql.SqlConnection``) over psycopg 3.

Why psycopg 3 (not asyncpg): it sends a Python ``str`` parameter with no type ("unknown"), so
PostgreSQL gives it the type of the column it meets — the repositories keep their SQL, where
moments are ISO-8601 UTC text and JSON is text, unchanged. asyncpg types every parameter from the
prepared statement and wants Python ``datetime``/``int`` where the column says so. psycopg also
has COPY (for moving a SQLite campaign over) and a maintained pool (``psycopg_pool``).

What this adapter translates, so that one SQL text runs on both engines:
- placeholders: ``?`` → ``%s``, ``:name`` → ``%(name)s``, a literal ``%`` (a LIKE pattern) → ``%%``;
- rows: readable by position and by column name, like ``sqlite3.Row`` (``Row``);
- values: a Python ``bool`` parameter is written as 0/1 and a boolean result read as 0/1 (SQLite
  has no booleans: the schema keeps them as integers), ``numeric`` results (``sum`` of integers)
  as ``int`` or ``float``, not ``Decimal``;
- a constraint's refusal as ``storage.sql.IntegrityError``.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.adapt import Dumper, Loader
from psycopg.rows import RowMaker

from storage.sql import Dialect, IntegrityError


@lru_cache(maxsize=2048)
def translate(sql: str) -> tuple[str, bool]:
    """SQLite's placeholders as psycopg's: ``?`` → ``%s``, ``:name`` → ``%(name)s``, ``?3`` →
    ``%(_3)s`` (True beside the text: the parameters are then given by number, ``numbered``),
    ``%`` → ``%%``.

    Placeholders inside quoted literals and identifiers are left as they are; ``%`` is doubled
    everywhere, since psycopg reads ``%`` inside literals too. ``::`` (a PostgreSQL cast) is kept."""
    numbered = False
    out: list[str] = []
    quote = ""
    i, n = 0, len(sql)
    while i < n:
        char = sql[i]
        if char == "%":
            out.append("%%")
        elif quote:
            out.append(char)
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
            out.append(char)
        elif char == "?" and i + 1 < n and sql[i + 1].isdigit():
            end = i + 1
            while end < n and sql[end].isdigit():
                end += 1
            out.append(f"%(_{sql[i + 1:end]})s")
            numbered = True
            i = end
            continue
        elif char == "?":
            out.append("%s")
        elif char == ":" and i + 1 < n and sql[i + 1] == ":":
            out.append("::")
            i += 1
        elif char == ":" and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
            end = i + 1
            while end < n and (sql[end].isalnum() or sql[end] == "_"):
                end += 1
            out.append(f"%({sql[i + 1:end]})s")
            i = end
            continue
        else:
            out.append(char)
        i += 1
    return "".join(out), numbered


def numbered(parameters: Iterable[Any]) -> dict[str, Any]:
    """Positional parameters for ``?1``, ``?2``… placeholders (``translate``)."""
    return {f"_{place}": value for place, value in enumerate(parameters, start=1)}


class Row(tuple[Any, ...]):
    """A result row read by position or by column name, like ``sqlite3.Row``."""

    _names: dict[str, int]

    def __new__(cls, values: Sequence[Any], names: dict[str, int]) -> "Row":
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key.lower()])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _rows(cursor: psycopg.AsyncCursor[Any]) -> RowMaker[Row]:
    names = {column.name.lower(): place for place, column in enumerate(cursor.description or ())}
    return lambda values: Row(values, names)


class _BoolAsInteger(Dumper):
    """``True``/``False`` as the integers 1/0 the schema keeps them as."""

    oid = psycopg.postgres.types["int4"].oid

    def dump(self, obj: bool) -> bytes:
        return b"1" if obj else b"0"


class _BooleanAsInteger(Loader):
    """A boolean result (``x IS NOT NULL``) as 1/0, as SQLite gives it."""

    def load(self, data: Any) -> int:
        return 1 if bytes(data) == b"t" else 0


class _NumericAsNumber(Loader):
    """``numeric`` (what ``sum`` of integers gives) as ``int`` or ``float``, as SQLite gives it."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        number = float(text)
        return int(number) if number.is_integer() and "e" not in text.lower() and abs(number) < 2**53 else number


def configure(connection: psycopg.AsyncConnection[Any]) -> None:
    """The value conversions above, on one connection (the pool calls it on each new one)."""
    connection.adapters.register_dumper(bool, _BoolAsInteger)
    connection.adapters.register_loader("bool", _BooleanAsInteger)
    connection.adapters.register_loader("numeric", _NumericAsNumber)


class Cursor:
    """A statement's result, read in full before the connection is handed back."""

    def __init__(self, rows: list[Row], rowcount: int) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount

    async def fetchone(self) -> Row | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    async def fetchall(self) -> list[Row]:
        rest, self._next = self._rows[self._next:], len(self._rows)
        return rest

    async def __aiter__(self) -> AsyncIterator[Row]:
        while (row := await self.fetchone()) is not None:
            yield row


async def _run(connection: psycopg.AsyncConnection[Any], sql: str, parameters: Any) -> Cursor:
    try:
        async with connection.cursor(row_factory=_rows) as cursor:
            text, by_number = translate(sql)
            await cursor.execute(text, _parameters(parameters, by_number))
            rows = await cursor.fetchall() if cursor.description is not None else []
            return Cursor(rows, cursor.rowcount)
    except psycopg.errors.IntegrityError as error:
        raise IntegrityError(str(error)) from error


async def _run_many(connection: psycopg.AsyncConnection[Any], sql: str,
                    parameters: Iterable[Iterable[Any]]) -> Cursor:
    try:
        async with connection.cursor(row_factory=_rows) as cursor:
            text, by_number = translate(sql)
            await cursor.executemany(text, [_parameters(item, by_number) for item in parameters])
            return Cursor([], cursor.rowcount)
    except psycopg.errors.IntegrityError as error:
        raise IntegrityError(str(error)) from error


def _parameters(parameters: Any, by_number: bool) -> Any:
    if parameters is None or isinstance(parameters, dict):
        return parameters
    return numbered(parameters) if by_number else tuple(parameters)


class PostgresConnection:
    """The repositories' connection over one psycopg connection held for a whole transaction."""

    dialect: Dialect = "postgresql"

    def __init__(self, connection: psycopg.AsyncConnection[Any]) -> None:
        self._connection = connection

    async def execute(self, sql: str, parameters: Any = None) -> Cursor:
        return await _run(self._connection, sql, parameters)

    async def execute_fetchall(self, sql: str, parameters: Any = None) -> list[Row]:
        return await (await _run(self._connection, sql, parameters)).fetchall()

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Cursor:
        return await _run_many(self._connection, sql, parameters)


class PooledConnection:
    """The same surface for reading committed data: each statement on a connection borrowed
    from the pool (autocommit), so readers never wait for the writer or for each other."""

    dialect: Dialect = "postgresql"

    def __init__(self, borrow: Callable[[], AbstractAsyncContextManager[psycopg.AsyncConnection[Any]]]) -> None:
        self._borrow = borrow

    async def execute(self, sql: str, parameters: Any = None) -> Cursor:
        async with self._borrow() as connection:
            return await _run(connection, sql, parameters)

    async def execute_fetchall(self, sql: str, parameters: Any = None) -> list[Row]:
        return await (await self.execute(sql, parameters)).fetchall()

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Cursor:
        async with self._borrow() as connection:
            return await _run_many(connection, sql, parameters)
