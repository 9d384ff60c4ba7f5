"""The PostgreSQL database: a connection pool, migrations, the write path and the reader.

``transaction()`` holds one pooled connection for the whole block, in a PostgreSQL transaction
at READ COMMITTED; within one process one writer transaction runs at a time (an asyncio lock, as
on SQLite), which keeps every repository's assumptions of a single writer true within a process
— ids of one multi-row INSERT consecutive, a read-then-write in one transaction unraced by this
process's other tasks. With several processes on one database these places rely on SQLite's
single writer and need a row lock or a claim (the cluster work of issue 15):
- storage/outbox.py ``add_many``: the ids of one INSERT are taken as consecutive (another
  process's INSERT may interleave its identity values);
- a proposal's ``revision`` (max + 1, storage/migrations/postgres/0001_schema.sql): two
  processes may give the same number, and one committed later than a reader looked may be missed;
- storage/broadcasts.py ``claim``: the deliveries are chosen in a subquery that READ COMMITTED
  does not re-check after waiting for a row, so two processes may claim the same rows (wants
  ``FOR UPDATE SKIP LOCKED`` in the subquery, or ``AND status = 'pending'`` outside it);
- storage/inbox.py's claims of events to process (per-resident order across processes).
The conditional updates that decide in one statement (``… WHERE announced_at IS NULL``,
``… AND results_sent_at IS NULL``) are re-checked by READ COMMITTED on the locked row, and so
fire once across processes already.

``reader`` reads committed data on connections borrowed from the pool per statement.
``checkpoint`` has nothing to do: SQLite's checkpoint copies the write-ahead log into the file
and truncates it so that erased rows survive in neither; PostgreSQL recycles its WAL by itself,
and has no way to overwrite a deleted row's old version on demand (autovacuum reclaims it), so it
returns True at once — the operator's guide for PostgreSQL says what that means for erasure.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from storage.cache import ReadCache
from storage.postgres import migrations, search_index
from storage.postgres.connection import PooledConnection, PostgresConnection, configure
from storage.repositories import Repositories
from storage.similar_proposals import SimilarProposals


class PostgresDatabase:
    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool
        self._write_lock = asyncio.Lock()
        self.checkpoint_owed = False
        self.cache = ReadCache()
        reading = PooledConnection(pool.connection)
        self.similar = SimilarProposals(reading)
        self.reader = Repositories(reading, self.cache, self.similar)

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True, min_size: int = 1, max_size: int = 10,
                   timeout: float = 10.0) -> "PostgresDatabase":
        """Connect to ``url`` (``postgresql://user@host:port/database``) and bring its schema up to
        date; ``psycopg.OperationalError`` when the server cannot be reached."""
        # One connection first: its failure says why (refused, no such database, a wrong
        # password), where the pool would only say that it timed out.
        probe = await psycopg.AsyncConnection.connect(url, connect_timeout=max(1, int(timeout)))
        await probe.close()
        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            url, min_size=min_size, max_size=max_size, timeout=timeout, open=False,
            kwargs={"autocommit": True}, configure=_configure)
        try:
            await pool.open(wait=True, timeout=timeout)
            if migrate:
                async with pool.connection() as connection:
                    await migrations.upgrade(connection)
        except BaseException:
            await pool.close()
            raise
        return cls(pool)

    async def upgrade(self) -> list[str]:
        """Apply the migrations the database has not had; their names."""
        async with self._pool.connection() as connection:
            return await migrations.upgrade(connection)

    def pooled(self) -> Any:
        """A connection of the pool for work that is no repository's (``storage.postgres.copy``)."""
        return self._pool.connection()

    async def pending_migrations(self) -> list[str]:
        """The migrations this database has not had yet (``/readyz`` is not ready while any is)."""
        async with self._pool.connection() as connection:
            return await migrations.pending(connection)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Repositories]:
        """One write transaction; commits on success, rolls back on any exception."""
        async with self._write_lock, self._pool.connection() as raw, raw.transaction():
            connection = PostgresConnection(raw)
            repositories = Repositories(connection, self.cache, self.similar)
            yield repositories
            await repositories.flush()
            await search_index.refresh(connection)

    async def checkpoint(self) -> bool:
        """Nothing to checkpoint on PostgreSQL (the module's docstring says why)."""
        self.checkpoint_owed = False
        return True

    async def close(self) -> None:
        async with self._write_lock:
            await self._pool.close()


async def _configure(connection: psycopg.AsyncConnection[Any]) -> None:
    configure(connection)
