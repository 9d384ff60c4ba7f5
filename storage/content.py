"""Stored definitions of polls, quizzes, surveys and contests, as JSON with their times beside.

Storage knows nothing of the content models: it keeps the definition as text and the columns
that queries need (key, kind, opening and closing times in UTC, which compare as text).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import aiosqlite

from storage.cache import MISSING, ReadCache
from storage.clock import now

TABLES = ("polls", "quizzes", "surveys", "contests")
TIME_COLUMNS = {
    "polls": ("opens_at", "closes_at"), "quizzes": ("opens_at", "closes_at"),
    "surveys": ("opens_at", "closes_at"),
    "contests": ("opens_at", "closes_at", "voting_opens_at", "voting_closes_at"),
}


@dataclass(frozen=True)
class StoredItem:
    table: str
    key: str
    definition: str
    times: dict[str, str]
    extra: dict[str, str] = field(default_factory=dict)  # e.g. a poll's kind


class Content:
    def __init__(self, connection: aiosqlite.Connection, cache: ReadCache | None = None) -> None:
        self._db = connection
        self._cache = cache or ReadCache(ttl=0)

    async def store(self, items: list[StoredItem]) -> None:
        """Insert or update every item by key."""
        self._cache.clear()
        stamp = now()
        for item in items:
            if item.table not in TABLES or set(item.times) != set(TIME_COLUMNS[item.table]):
                raise ValueError(f"cannot store {item.table} with times {sorted(item.times)}")
            columns = {"key": item.key, "definition": item.definition, **item.times, **item.extra,
                       "updated_at": stamp}
            names = ", ".join(columns)
            marks = ", ".join("?" * len(columns))
            updates = ", ".join(f"{name} = excluded.{name}" for name in columns if name != "key")
            await self._db.execute(
                f"INSERT INTO {item.table} ({names}) VALUES ({marks}) ON CONFLICT (key) DO UPDATE SET {updates}",
                list(columns.values()))

    async def get(self, table: str, key: str) -> tuple[int, str] | None:
        cached = self._cache.get((table, key))
        if cached is not MISSING:
            return cached
        rows = await self._db.execute_fetchall(
            f"SELECT id, definition FROM {_table(table)} WHERE key = ?", (key,))
        return self._cache.put((table, key), (rows[0][0], rows[0][1]) if rows else None)

    async def open_at(self, table: str, moment: str) -> list[str]:
        """Definitions open at ``moment`` (for contests: taking entries or voting)."""
        condition, params = "opens_at <= ? AND ? < closes_at", [moment, moment]
        if table == "contests":
            condition = f"({condition}) OR (voting_opens_at <= ? AND ? < voting_closes_at)"
            params += [moment, moment]
        rows = await self._db.execute_fetchall(
            f"SELECT definition FROM {_table(table)} WHERE {condition} ORDER BY opens_at, id", params)
        return [row[0] for row in rows]

    async def open_counts(self, moment: str) -> dict[str, int]:
        """How many of each kind are open at ``moment`` (and how many episodes have aired):
        one query, cached briefly, because the main menu asks on every showing."""
        cached = self._cache.get(("open", moment[:16]))  # to the minute
        if cached is not MISSING:
            return cached
        parts = [f"SELECT '{table}', count(*) FROM {table} WHERE opens_at <= :at AND :at < closes_at"
                 + (" OR (voting_opens_at <= :at AND :at < voting_closes_at)" if table == "contests" else "")
                 for table in TABLES]
        parts.append("SELECT 'episodes', count(*) FROM episodes WHERE air_at <= :at")  # aired ones
        rows = await self._db.execute_fetchall(" UNION ALL ".join(parts), {"at": moment})
        return self._cache.put(("open", moment[:16]), {row[0]: row[1] for row in rows})

    async def all(self, table: str) -> list[str]:
        rows = await self._db.execute_fetchall(f"SELECT definition FROM {_table(table)} ORDER BY id")
        return [row[0] for row in rows]


def _table(name: str) -> str:
    if name not in TABLES:
        raise ValueError(f"no content table {name!r}")
    return name
