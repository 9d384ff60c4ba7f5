"""PostgreSQL's schema (storage/migrations/postgres/) is SQLite's after all its migrations: the
same tables, the same columns in the same order, NOT NULL alike — so that every repository reads
and writes the same rows on both. A SQLite migration without its PostgreSQL counterpart fails
here, naming the table."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from storage.database import Database as SqliteDatabase
from storage.postgres.database import PostgresDatabase
from tests import stored


async def test_both_engines_hold_the_same_tables_and_columns(postgres_databases: Any, tmp_path: Path) -> None:
    sqlite = await SqliteDatabase.open(tmp_path / "bot.db")
    try:
        expected = await stored.columns(sqlite)
    finally:
        await sqlite.close()
    url = await postgres_databases.empty()
    postgres = await PostgresDatabase.open(url)
    try:
        found = await stored.columns(postgres)
    finally:
        await postgres.close()
        await postgres_databases.drop(url)
    assert sorted(found) == sorted(expected)
    different = {table: (expected[table], found[table]) for table in expected if found[table] != expected[table]}
    assert not different, different
    assert {"residents", "proposals", "inbox", "outbox", "content_items"} <= set(found)
