"""The storage contract suite's backends, in the manner of aiogram's storage tests
(``tests/test_fsm/storage/test_storages.py``): each test runs once per backend, on a fresh
database, and talks to it through the ports of ``storage/ports/`` only — no SQL, no connection.

A backend is an async context manager that opens a fresh database for the test and yields the
``Backend`` below: SQLite on a real file in the test's folder, PostgreSQL a fresh database in the
session's throw-away cluster (tests/postgres.py; skipped, saying why, where PostgreSQL is missing).
Every test must pass on both.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from storage.ports.channels import ChannelStorage
from storage.ports.repositories import Database


@dataclass(frozen=True)
class Backend:
    name: str
    db: Database
    channels: ChannelStorage
    # The same data opened again, as a second bot process opens it (closed by the test).
    another: Callable[[], Awaitable[Database]]


@asynccontextmanager
async def sqlite(folder: Path) -> AsyncIterator[Backend]:
    from storage.channel_storage import ChannelStorage as SqliteChannelStorage
    from storage.database import Database as SqliteDatabase

    db = await SqliteDatabase.open(folder / "contract.db")
    try:
        yield Backend("sqlite", db, SqliteChannelStorage(db),
                      lambda: SqliteDatabase.open(folder / "contract.db", migrate=False))
    finally:
        await db.close()


@asynccontextmanager
async def postgresql(folder: Path, request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    from storage.channel_storage import ChannelStorage as SqlChannelStorage
    from storage.postgres.database import PostgresDatabase
    from tests.postgres import Databases

    databases: Databases = request.getfixturevalue("postgres_databases")
    url = await databases.fresh()
    db = await PostgresDatabase.open(url, migrate=False)
    try:
        yield Backend("postgresql", db, SqlChannelStorage(db), lambda: PostgresDatabase.open(url, migrate=False))
    finally:
        await db.close()
        await databases.drop(url)


BACKENDS: dict[str, Callable[[Path, pytest.FixtureRequest], AbstractAsyncContextManager[Backend]]] = {
    "sqlite": lambda folder, _request: sqlite(folder),
    "postgresql": postgresql,
}


@pytest.fixture(params=sorted(BACKENDS))
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    async with BACKENDS[request.param](tmp_path, request) as opened:
        yield opened


@pytest.fixture
def db(backend: Backend) -> Database:
    return backend.db
