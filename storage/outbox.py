"""The outbox: every reply is a row, written in the transaction that produced it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import aiosqlite

from storage.clock import now


@dataclass(frozen=True)
class OutboxRow:
    id: int
    channel: str
    external_id: str
    payload: str


class Outbox:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def add_many(self, rows: list[tuple[str, str, int | None, str, bool]]) -> list[int]:
        """Append (channel, external id, inbox id, payload, delivered) rows; ids in the same order."""
        if not rows:
            return []
        stamp = now()
        values = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(rows))
        params: list[object] = []
        for channel, external_id, inbox_id, payload, delivered in rows:
            params += [channel, external_id, inbox_id, payload, "sent" if delivered else "pending", stamp,
                       stamp if delivered else None]
        inserted = await self._db.execute_fetchall(
            "INSERT INTO outbox (channel, external_id, inbox_id, payload, status, created_at, sent_at)"
            f" VALUES {values} RETURNING id", params)
        # RETURNING gives no order guarantee; the ids of one statement are consecutive.
        return sorted(row[0] for row in inserted)

    async def mark_sent(self, ids: Iterable[int]) -> None:
        await self._db.executemany(
            "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?",
            [(now(), i) for i in ids])

    async def mark_failed(self, ids: Iterable[int], error: str) -> None:
        await self._db.executemany(
            "UPDATE outbox SET status = 'failed', error = ?, attempts = attempts + 1 WHERE id = ?",
            [(error, i) for i in ids])

    async def pending(self, channel: str, limit: int = 500) -> list[OutboxRow]:
        rows = await self._db.execute_fetchall(
            "SELECT id, channel, external_id, payload FROM outbox"
            " WHERE channel = ? AND status = 'pending' ORDER BY id LIMIT ?", (channel, limit))
        return [OutboxRow(*row) for row in rows]

    async def for_recipient(self, channel: str, external_id: str, after: int, limit: int = 100) -> list[OutboxRow]:
        rows = await self._db.execute_fetchall(
            "SELECT id, channel, external_id, payload FROM outbox"
            " WHERE channel = ? AND external_id = ? AND id > ? ORDER BY id LIMIT ?",
            (channel, external_id, after, limit))
        return [OutboxRow(*row) for row in rows]

    async def for_inbox(self, inbox_id: int) -> list[OutboxRow]:
        rows = await self._db.execute_fetchall(
            "SELECT id, channel, external_id, payload FROM outbox WHERE inbox_id = ? ORDER BY id", (inbox_id,))
        return [OutboxRow(*row) for row in rows]

    async def delete_for_recipient(self, channel: str, external_id: str) -> int:
        cursor = await self._db.execute(
            "DELETE FROM outbox WHERE channel = ? AND external_id = ?", (channel, external_id))
        return cursor.rowcount
