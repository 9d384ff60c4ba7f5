"""The PostgreSQL database: a connection pool, migrations, the write path and the reader.

``transaction()`` holds one pooled connection for the whole block, in a PostgreSQL transaction
at READ COMMITTED; within one process one writer transaction runs at a time (an asyncio lock, as
on SQLite). Several processes write side by side, so where SQLite's single writer gave order for
free, the rows are locked (tests/contract/test_several_processes.py, on both engines):
- **per-resident order**: the batch worker reads its residents with ``FOR UPDATE`` in id order
  (storage/residents.py, ``storage.sql.row_lock``), so a second process's batch with the same
  resident waits for the first's commit and reads its state; a resident both meet for the first
  time is inserted once (``ON CONFLICT DO NOTHING``, then read locked);
- **exactly once**: a stored event is taken with ``FOR UPDATE SKIP LOCKED`` (storage/inbox.py
  ``still_unprocessed``): another process's retry or recovery passes by an event being processed
  and finds it processed afterwards; a platform's retry of the same update meets the UNIQUE
  (channel, update id) and waits for the first insert's commit, then counts as a duplicate;
- **revisions in commit order**: a proposal's ``revision`` is given under a transaction-level
  advisory lock (storage/migrations/postgres/0001_schema.sql), so readers that take "above the
  last revision seen" miss none;
- **broadcast claims**: the sender is one per token in the cluster (a lease), and a claim re-checks
  ``status = 'pending'`` on the row it locked, so not even a takeover claims a row twice;
- the ids of one multi-row INSERT (storage/outbox.py ``add_many``) grow in row order, though
  another process's may interleave: they are sorted, never assumed consecutive.
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
