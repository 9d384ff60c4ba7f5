"""Which database the application opens: one setting, ``storage.url``.

Empty (the default) is the embedded SQLite file at ``storage.path``, which needs no setup; a
``postgresql://user:password@host:port/database`` URL is PostgreSQL (storage/postgres/), for
several bot processes on one database. The URL carries the password, so it is a secret:
``SOUCHASTIE_STORAGE_URL`` in the environment, never in config.yaml. The composition roots
(bot/app.py, bot/cli.py) open the database here and see only the ``Database`` port; the
settings become a ``StorageChoice`` (storage/choice.py) in bot/config.py.
"""
from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from storage.choice import StorageChoice
from storage.ports.repositories import Database

if TYPE_CHECKING:
    from storage.database import Database as SqliteDatabase
    from storage.postgres.database import PostgresDatabase

SCHEMES = ("postgresql", "postgres")


class StorageUnavailable(Exception):
    """The configured database cannot be opened; the message says why, in Russian, for staff
    (never the password)."""


def describe(url: str) -> str:
    """The URL as staff may see it: host, port and database, no user's password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except Exception:  # an unreadable URL is described by its scheme only
        return url.split(":", 1)[0] + "://…"
    host, port, name = parts.get("host") or "localhost", parts.get("port") or "5432", parts.get("dbname") or ""
    return f"postgresql://{host}:{port}/{name}"


def check_url(url: str) -> None:
    """Raise StorageUnavailable when ``url`` is no PostgreSQL URL this backend can use."""
    from psycopg.conninfo import conninfo_to_dict

    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in SCHEMES:
        raise StorageUnavailable("storage.url (SOUCHASTIE_STORAGE_URL): нужен адрес вида"
                                 " postgresql://пользователь:пароль@сервер:5432/база или пустое значение"
                                 f" для SQLite; указана схема «{scheme or url[:20]}»")
    try:
        conninfo_to_dict(url)
    except Exception as error:
        raise StorageUnavailable(f"storage.url (SOUCHASTIE_STORAGE_URL) не читается: {error}") from error


async def open_database(choice: StorageChoice, *, migrate: bool = True) -> Database:
    """The configured database, its schema brought up to date unless ``migrate`` is False."""
    return await _open(choice, migrate)


async def upgrade(choice: StorageChoice) -> list[str]:
    """Apply the migrations the configured database has not had; their names."""
    db = await _open(choice, migrate=False)
    try:
        return await db.upgrade()
    finally:
        await db.close()


async def _open(choice: StorageChoice, migrate: bool) -> SqliteDatabase | PostgresDatabase:
    if not choice.url:
        from storage.database import Database as SqliteDatabase

        try:
            return await SqliteDatabase.open(choice.path, busy_timeout_ms=choice.busy_timeout_ms,
                                             synchronous=choice.synchronous, migrate=migrate)
        except (OSError, sqlite3.Error) as error:
            raise StorageUnavailable(f"база данных {choice.path} (storage.path) не открывается: {error}") from error
    check_url(choice.url)
    import psycopg
    from psycopg_pool import PoolTimeout

    from storage.postgres.database import PostgresDatabase

    try:
        return await PostgresDatabase.open(choice.url, migrate=migrate, max_size=choice.pool_size,
                                           timeout=choice.connect_timeout_seconds)
    except (PoolTimeout, psycopg.OperationalError) as error:
        raise StorageUnavailable(f"сервер PostgreSQL {describe(choice.url)} (storage.url) недоступен:"
                                 f" {_reason(error)}") from error
    except psycopg.Error as error:
        raise StorageUnavailable(f"база PostgreSQL {describe(choice.url)} (storage.url) не открывается:"
                                 f" {_reason(error)}") from error


def _reason(error: BaseException) -> str:
    """The server's own words, without the URL (which psycopg may quote with its password)."""
    cause = error.__cause__ or error.__context__ or error
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    return text

