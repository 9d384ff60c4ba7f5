"""SQLite implementation of ``storage.ports.content.ContentStore``: the only code that reads or
writes the definition tables of polls, quizzes, surveys and contests as documents."""
from __future__ import annotations

from collections.abc import Sequence

import aiosqlite

from storage.cache import MISSING, ReadCache
from storage.clock import now
from storage.ports.content import TIME_COLUMNS, ContentKind, StoredItem

__all__ = ["Content", "ContentKind", "StoredItem", "TIME_COLUMNS"]

# One table per kind for now; the table name is never taken from a caller's text.
_TABLES = {kind: kind.value for kind in ContentKind}
_OPEN = "opens_at <= :at AND :at < closes_at"
_OPEN_CONTEST = f"({_OPEN}) OR (voting_opens_at <= :at AND :at < voting_closes_at)"


def _table(kind: ContentKind | str) -> str:
    try:
        return _TABLES[ContentKind(kind)]
    except ValueError:
        raise ValueError(f"no content kind {kind!r}") from None


def _open(kind: ContentKind) -> str:
    return _OPEN_CONTEST if kind is ContentKind.CONTESTS else _OPEN


class Content:
    def __init__(self, connection: aiosqlite.Connection, cache: ReadCache | None = None) -> None:
        self._db = connection
        self._cache = cache or ReadCache(ttl=0)

    async def store(self, items: Sequence[StoredItem]) -> None:
        self._cache.clear()
        stamp = now()
        for item in items:
            table = _table(item.kind)
            if set(item.times) != set(TIME_COLUMNS[ContentKind(item.kind)]):
                raise ValueError(f"cannot store {item.kind} with times {sorted(item.times)}")
            columns = {"key": item.key, "definition": item.definition, **item.times, **item.extra,
                       "updated_at": stamp}
            names = ", ".join(columns)
            marks = ", ".join("?" * len(columns))
            updates = ", ".join(f"{name} = excluded.{name}" for name in columns if name != "key")
            await self._db.execute(
                f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT (key) DO UPDATE SET {updates}",
                list(columns.values()))

    async def get(self, kind: ContentKind, key: str) -> tuple[int, str] | None:
        table = _table(kind)
        cached = self._cache.get((table, key))
        if cached is not MISSING:
            return cached
        rows = await self._db.execute_fetchall(f"SELECT id, definition FROM {table} WHERE key = ?", (key,))
        return self._cache.put((table, key), (rows[0][0], rows[0][1]) if rows else None)

    async def definition(self, kind: ContentKind, item_id: int) -> str | None:
        rows = await self._db.execute_fetchall(f"SELECT definition FROM {_table(kind)} WHERE id = ?", (item_id,))
        return rows[0][0] if rows else None

    async def all(self, kind: ContentKind) -> list[str]:
        rows = await self._db.execute_fetchall(f"SELECT definition FROM {_table(kind)} ORDER BY id")
        return [row[0] for row in rows]

    async def open_at(self, kind: ContentKind, moment: str) -> list[str]:
        table = _table(kind)
        rows = await self._db.execute_fetchall(
            f"SELECT definition FROM {table} WHERE {_open(ContentKind(kind))} ORDER BY opens_at, id", {"at": moment})
        return [row[0] for row in rows]

    async def open_counts(self, moment: str) -> dict[str, int]:
        """One query, cached briefly, because the main menu asks on every showing."""
        cached = self._cache.get(("open", moment[:16]))  # to the minute
        if cached is not MISSING:
            return cached
        parts = [f"SELECT '{kind.value}', count(*) FROM {_table(kind)} WHERE {_open(kind)}" for kind in ContentKind]
        parts.append("SELECT 'episodes', count(*) FROM episodes WHERE air_at <= :at")  # aired ones
        rows = await self._db.execute_fetchall(" UNION ALL ".join(parts), {"at": moment})
        return self._cache.put(("open", moment[:16]), {row[0]: row[1] for row in rows})

    async def polls_to_announce(self, moment: str) -> list[str]:
        rows = await self._db.execute_fetchall(
            "SELECT key FROM polls WHERE closes_at <= ? AND results_sent_at IS NULL ORDER BY closes_at", (moment,))
        return [r[0] for r in rows]

    async def mark_poll_announced(self, key: str) -> bool:
        cursor = await self._db.execute(
            "UPDATE polls SET results_sent_at = ? WHERE key = ? AND results_sent_at IS NULL", (now(), key))
        return cursor.rowcount == 1

    async def contests_voted(self, moment: str, limit: int = 5) -> list[str]:
        rows = await self._db.execute_fetchall(
            "SELECT definition FROM contests WHERE voting_closes_at <= ? ORDER BY voting_closes_at DESC, id LIMIT ?",
            (moment, limit))
        return [row[0] for row in rows]
