"""The storage contract suite's backends, in the manner of aiogram's storage tests
(``tests/test_fsm/storage/test_storages.py``): each test runs once per backend, on a fresh
database, and talks to it through the ports of ``storage/ports/`` only — no SQL, no connection.

A backend is an async context manager that opens a fresh database in the test's folder and
yields the ``Backend`` below. SQLite on a real file is the one we have; another engine is one
more entry in ``BACKENDS`` (skipped where its server is not configured), and must pass every test.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
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


@asynccontextmanager
async def sqlite(folder: Path) -> AsyncIterator[Backend]:
    from storage.channel_storage import ChannelStorage as SqliteChannelStorage
    from storage.database import Database as SqliteDatabase

    db = await SqliteDatabase.open(folder / "contract.db")
    try:
        yield Backend("sqlite", db, SqliteChannelStorage(db))
    finally:
        await db.close()


BACKENDS: dict[str, Callable[[Path], AbstractAsyncContextManager[Backend]]] = {"sqlite": sqlite}


@pytest.fixture(params=sorted(BACKENDS))
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    async with BACKENDS[request.param](tmp_path) as opened:
        yield opened


@pytest.fixture
def db(backend: Backend) -> Database:
    return backend.db
