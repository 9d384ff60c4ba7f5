"""The SQLite database: connections, pragmas, migrations and the single write path.

Why one writer: SQLite allows one writer at a time, and several connections that race for the
write lock are what produces "database is locked" under load. Here every write goes through one
connection, in a transaction taken under an asyncio lock (``Database.transaction``), so writers
queue in the event loop instead of colliding in SQLite; ``busy_timeout`` is only for other
processes (the CLI while the bot runs). Reads that need not see a transaction in progress go to a
second connection (``Database.reader``), which WAL lets read while the writer writes.

``synchronous=NORMAL`` in WAL mode survives a crash of the process (the case our crash tests
kill with SIGKILL); ``FULL`` also survives a power cut, at the price of an fsync per commit.

Erasing for real: ``secure_delete`` makes SQLite overwrite deleted content with zeros instead of
leaving it in free space, and ``Database.checkpoint`` (run after a resident is forgotten) copies
the write-ahead log into the database and truncates it, since the log keeps the pages as they
were before the erasure.
"""
from __future__ import annotations

import asyncio
import logging
import sqlite3
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import AsyncIterator

import aiosqlite

from storage import search
from storage.cache import ReadCache
from storage.repositories import Repositories
from storage.similar_proposals import SimilarProposals
from storage.sql import SqliteConnection, connect_sqlite

log = logging.getLogger(__name__)


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


async def _connect(path: Path, busy_timeout_ms: int, synchronous: str) -> SqliteConnection:
    connection = connect_sqlite(path)
    await connection  # starts its thread and opens the file
    try:
        connection.row_factory = sqlite3.Row
        # The first statement is where a file that is no database, or cannot be written, fails.
        await connection.execute("PRAGMA journal_mode=WAL")
        await connection.execute(f"PRAGMA synchronous={synchronous.upper()}")
        await connection.execute("PRAGMA foreign_keys=ON")
        await connection.execute("PRAGMA secure_delete=ON")
        await connection.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        await search.register(connection)  # the search index's triggers call these
    except BaseException:
        await connection.close()  # its thread would otherwise keep the process from exiting
        raise
    return connection


def _check_openable(path: Path) -> None:
    """Raise ``sqlite3.Error`` if ``path`` cannot be opened as a database (a directory, no
    permission, a file that is no SQLite database). Tried with plain sqlite3 first because
    aiosqlite, when its connect fails, stops its thread without waiting for it, and a thread
    still finishing when the event loop closes fails noisily instead of the clear error."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA schema_version").fetchone()
    finally:
        connection.close()


async def upgrade(connection: aiosqlite.Connection) -> list[str]:
    """Apply the migrations newer than the database's ``user_version``; return their names."""
    (current,) = (await connection.execute_fetchall("PRAGMA user_version"))[0]
    applied = []
    for version, name, script in _migrations():
        if version <= current:
            continue
        await connection.execute("BEGIN IMMEDIATE")
        try:
            # Another bot process on the same file may have applied it while this one waited.
            (current,) = (await connection.execute_fetchall("PRAGMA user_version"))[0]
            if version <= current:
                await connection.execute("COMMIT")
                continue
            for statement in _split_statements(script):
                await connection.execute(statement)
            await connection.execute(f"PRAGMA user_version={version}")
            await connection.execute("COMMIT")
        except BaseException:
            await connection.execute("ROLLBACK")
            raise
        applied.append(name)
        log.info("применена миграция %s", name)
    return applied


def _split_statements(script: str) -> list[str]:
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    leftover = [line for line in buffer.splitlines() if line.strip() and not line.strip().startswith("--")]
    if leftover:
        raise ValueError(f"migration ends with an unfinished statement: {leftover[0]!r}")
    return statements


class Database:
    def __init__(self, writer: SqliteConnection, reader: SqliteConnection) -> None:
        self._writer = writer
        self._reader_connection = reader
        self._write_lock = asyncio.Lock()
        self.checkpoint_owed = False  # a checkpoint after an erasure could not truncate the log yet
        self.cache = ReadCache()
        self.similar = SimilarProposals(reader)  # committed proposals only, shared by every transaction
        self.reader = Repositories(reader, self.cache, self.similar)

    @classmethod
    async def open(cls, path: Path | str, *, busy_timeout_ms: int = 5000,
                   synchronous: str = "normal", migrate: bool = True) -> "Database":
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(_check_openable, path)
        writer = await _connect(path, busy_timeout_ms, synchronous)
        try:
            if migrate:
                await upgrade(writer)
            reader = await _connect(path, busy_timeout_ms, synchronous)
        except BaseException:
            await writer.close()
            raise
        return cls(writer, reader)

    async def upgrade(self) -> list[str]:
        async with self._write_lock:
            return await upgrade(self._writer)

    async def pending_migrations(self) -> list[str]:
        """The migrations newer than the database's ``user_version``, read on the reader."""
        (current,) = (await self._reader_connection.execute_fetchall("PRAGMA user_version"))[0]
        return [name for version, name, _ in _migrations() if version > current]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Repositories]:
        """One write transaction; commits on success, rolls back on any exception."""
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                repositories = Repositories(self._writer, self.cache, self.similar)
                yield repositories
                await repositories.flush()
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            await self._writer.execute("COMMIT")

    async def checkpoint(self) -> bool:
        """Move everything in the write-ahead log into the database file and truncate the log to
        zero bytes, so that what was just deleted survives in neither; False when a reader kept
        the log from being truncated (``checkpoint_owed``: the housekeeping tries again)."""
        async with self._write_lock:
            busy, _, _ = (await self._writer.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)"))[0]
        self.checkpoint_owed = bool(busy)
        if busy:
            log.warning("журнал WAL не удалось очистить сразу: его читали; повторим при следующей очистке")
        return not busy

    async def close(self) -> None:
        async with self._write_lock:
            await self._writer.close()
        await self._reader_connection.close()
