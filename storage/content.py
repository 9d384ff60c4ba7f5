"""SQLite implementation of ``storage.ports.content.ContentStore``: polls, quizzes, surveys and
contests in one table, ``content_items``, keyed by kind and key (migration 0021)."""
from __future__ import annotations

from collections.abc import Sequence

from storage.cache import MISSING, ReadCache
from storage.clock import now
from storage.ports.content import TIME_COLUMNS, ContentKind, StoredItem
from storage.sql import SqlConnection

__all__ = ["Content", "ContentKind", "StoredItem", "TIME_COLUMNS"]

# Columns an item may set besides its times: only a poll has a kind of its own (single, top3…).
_EXTRA = {ContentKind.POLLS: ("poll_kind",)}
_OPEN = "opens_at <= :at AND :at < closes_at"
_OPEN_CONTEST = f"({_OPEN}) OR (voting_opens_at <= :at AND :at < voting_closes_at)"


def _kind(kind: ContentKind | str) -> ContentKind:
    try:
        return ContentKind(kind)
    except ValueError:
        raise ValueError(f"no content kind {kind!r}") from None


def _open(kind: ContentKind) -> str:
    return _OPEN_CONTEST if kind is ContentKind.CONTESTS else _OPEN


class Content:
    def __init__(self, connection: SqlConnection, cache: ReadCache | None = None) -> None:
        self._db = connection
        self._cache = cache or ReadCache(ttl=0)

    async def store(self, items: Sequence[StoredItem]) -> None:
        self._cache.clear()
        stamp = now()
        for item in items:
            kind = _kind(item.kind)
            if set(item.times) != set(TIME_COLUMNS[kind]) or not set(item.extra) <= set(_EXTRA.get(kind, ())):
                raise ValueError(f"cannot store {kind} with {sorted([*item.times, *item.extra])}")
            columns = {"kind": kind.value, "key": item.key, "definition": item.definition, **item.times,
                       **item.extra, "updated_at": stamp}
            names = ", ".join(columns)
            marks = ", ".join("?" * len(columns))
            updates = ", ".join(f"{name} = excluded.{name}" for name in columns if name not in ("kind", "key"))
            await self._db.execute(
                f"INSERT INTO content_items ({names}) VALUES ({marks})"
                f" ON CONFLICT (kind, key) DO UPDATE SET {updates}", list(columns.values()))

    async def get(self, kind: ContentKind, key: str) -> tuple[int, str] | None:
        kind = _kind(kind)
        cached = self._cache.get((kind.value, key))
        if cached is not MISSING:
            return cached
        rows = await self._db.execute_fetchall(
            "SELECT id, definition FROM content_items WHERE kind = ? AND key = ?", (kind.value, key))
        return self._cache.put((kind.value, key), (rows[0][0], rows[0][1]) if rows else None)

    async def definition(self, kind: ContentKind, item_id: int) -> str | None:
        rows = await self._db.execute_fetchall(
            "SELECT definition FROM content_items WHERE kind = ? AND id = ?", (_kind(kind).value, item_id))
        return rows[0][0] if rows else None

    async def all(self, kind: ContentKind) -> list[str]:
        rows = await self._db.execute_fetchall(
            "SELECT definition FROM content_items WHERE kind = ? ORDER BY id", (_kind(kind).value,))
        return [row[0] for row in rows]

    async def open_at(self, kind: ContentKind, moment: str) -> list[str]:
        kind = _kind(kind)
        rows = await self._db.execute_fetchall(
            f"SELECT definition FROM content_items WHERE kind = :kind AND ({_open(kind)}) ORDER BY opens_at, id",
            {"kind": kind.value, "at": moment})
        return [row[0] for row in rows]

    async def open_counts(self, moment: str) -> dict[str, int]:
        """One query, cached briefly, because the main menu asks on every showing."""
        cached = self._cache.get(("open", moment[:16]))  # to the minute
        if cached is not MISSING:
            return cached
        rows = await self._db.execute_fetchall(
            f"SELECT kind, count(*) FROM content_items WHERE ({_OPEN}) OR (kind = 'contests' AND"
            " voting_opens_at <= :at AND :at < voting_closes_at) GROUP BY kind"
            " UNION ALL SELECT 'episodes', count(*) FROM episodes WHERE air_at <= :at", {"at": moment})  # aired ones
        counts = {kind.value: 0 for kind in ContentKind} | {row[0]: row[1] for row in rows}
        return self._cache.put(("open", moment[:16]), counts)

    async def polls_to_announce(self, moment: str) -> list[str]:
        rows = await self._db.execute_fetchall(
            "SELECT key FROM content_items WHERE kind = 'polls' AND closes_at <= ? AND results_sent_at IS NULL"
            " ORDER BY closes_at", (moment,))
        return [r[0] for r in rows]

    async def mark_poll_announced(self, key: str) -> bool:
        cursor = await self._db.execute(
            "UPDATE content_items SET results_sent_at = ? WHERE kind = 'polls' AND key = ? AND results_sent_at IS NULL",
            (now(), key))
        return cursor.rowcount == 1

    async def contests_voted(self, moment: str, limit: int = 5) -> list[str]:
        rows = await self._db.execute_fetchall(
            "SELECT definition FROM content_items WHERE kind = 'contests' AND voting_closes_at <= ?"
            " ORDER BY voting_closes_at DESC, id LIMIT ?", (moment, limit))
        return [row[0] for row in rows]
