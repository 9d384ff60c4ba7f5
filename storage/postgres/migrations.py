"""PostgreSQL's schema migrations: ``storage/migrations/postgres/NNNN_*.sql``, applied in order,
each in its own transaction, its number recorded in ``schema_migrations`` (PostgreSQL has no
``user_version``). Several processes starting at once take turns on an advisory lock, so a
migration runs once."""
from __future__ import annotations

import logging
from importlib import resources
from typing import Any

import psycopg

log = logging.getLogger(__name__)

_LOCK = 0x50C4A571E  # the advisory lock key of "migrating"


def scripts() -> list[tuple[int, str, str]]:
    folder = resources.files("storage") / "migrations" / "postgres"
    found = [(int(entry.name[:4]), entry.name, entry.read_text(encoding="utf-8"))
             for entry in folder.iterdir() if entry.name.endswith(".sql") and entry.name[:4].isdigit()]
    return sorted(found)


async def pending(connection: psycopg.AsyncConnection[Any]) -> list[str]:
    """The names of the migrations not applied yet (all of them on an empty database)."""
    cursor = await connection.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
    row = await cursor.fetchone()
    current = 0
    if row and row[0]:
        cursor = await connection.execute("SELECT coalesce(max(version), 0) FROM schema_migrations")
        row = await cursor.fetchone()
        current = int(row[0]) if row else 0
    return [name for version, name, _ in scripts() if version > current]


async def upgrade(connection: psycopg.AsyncConnection[Any]) -> list[str]:
    """Apply the migrations the database has not had; return their names."""
    applied: list[str] = []
    await connection.execute("SELECT pg_advisory_lock(%s)", (_LOCK,))
    try:
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())")
        cursor = await connection.execute("SELECT coalesce(max(version), 0) FROM schema_migrations")
        row = await cursor.fetchone()
        current = int(row[0]) if row else 0
        for version, name, script in scripts():
            if version <= current:
                continue
            async with connection.transaction():
                await connection.execute(script.encode())  # several statements: the simple protocol
                await connection.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                                         (version, name))
            applied.append(name)
            log.info("применена миграция PostgreSQL %s", name)
    finally:
        await connection.execute("SELECT pg_advisory_unlock(%s)", (_LOCK,))
    return applied
