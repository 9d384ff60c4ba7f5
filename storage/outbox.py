"""The outbox: every reply is a row, written in the transaction that produced it.

Ids only grow (AUTOINCREMENT): the web chat reads "replies after id N" and the gateway takes
"reply-<id>" as an idempotency key, so an id given twice would hide a reply from both.

A reply to a resident who has just been forgotten (the confirmation of the erasure) is the one
row left that names their platform id. It is marked ``erase_after``: deleted once delivered
(``erase_delivered``), or when that time has passed (``erase_expired``) — the web chat, whose
browser reads its replies itself, and a reply that cannot be delivered are removed that way.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterable

from storage.clock import now
from storage.ports.outbox import OutboxRow
from storage.sql import SqlConnection
from storage.statuses import OutboxStatus


class Outbox:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    async def add_many(self, rows: list[tuple[str, str, int | None, str, bool]]) -> list[int]:
        """Append (channel, external id, inbox id, payload, delivered) rows; ids in the same order."""
        if not rows:
            return []
        stamp = now()
        values = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(rows))
        params: list[object] = []
        for channel, external_id, inbox_id, payload, delivered in rows:
            status = OutboxStatus.SENT if delivered else OutboxStatus.PENDING
            params += [channel, external_id, inbox_id, payload, status, stamp, stamp if delivered else None]
        inserted = await self._db.execute_fetchall(
            "INSERT INTO outbox (channel, external_id, inbox_id, payload, status, created_at, sent_at)"
            f" VALUES {values} RETURNING id", params)
        # RETURNING gives no order guarantee; the ids of one statement grow in row order (another
        # process's rows may take ids in between on PostgreSQL), so sorted they match the rows.
        return sorted(row[0] for row in inserted)

    async def mark_sent(self, ids: Iterable[int]) -> None:
        await self._db.executemany(
            "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?",
            [(now(), i) for i in ids])

    async def mark_failed(self, ids: Iterable[int], error: str) -> None:
        await self._db.executemany(
            "UPDATE outbox SET status = 'failed', error = ?, attempts = attempts + 1 WHERE id = ?",
            [(error, i) for i in ids])

    async def pending(self, channel: str, limit: int = 500, written_before: str | None = None) -> list[OutboxRow]:
        """``channel``'s replies not sent yet, oldest first; with ``written_before``, only those written
        before that moment (ISO 8601, UTC)."""
        before, parameters = ("", (channel, limit)) if written_before is None else \
            (" AND created_at < ?", (channel, written_before, limit))
        rows = await self._db.execute_fetchall(
            "SELECT id, channel, external_id, payload, inbox_id FROM outbox"
            f" WHERE channel = ? AND status = 'pending'{before} ORDER BY id LIMIT ?", parameters)
        return [OutboxRow(*row) for row in rows]

    async def still_pending(self, ids: Iterable[int]) -> set[int]:
        """Which of ``ids`` are still not sent (another attempt may have sent them meanwhile)."""
        wanted = list(ids)
        if not wanted:
            return set()
        marks = ", ".join("?" * len(wanted))
        rows = await self._db.execute_fetchall(
            f"SELECT id FROM outbox WHERE status = 'pending' AND id IN ({marks})", wanted)
        return {row[0] for row in rows}

    async def pending_by_channel(self) -> dict[str, int]:
        """How many replies wait to be sent, per channel (the partial index ``outbox_pending``)."""
        rows = await self._db.execute_fetchall(
            "SELECT channel, COUNT(*) FROM outbox WHERE status = 'pending' GROUP BY channel")
        return {channel: count for channel, count in rows}

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

    async def erase_after_delivery(self, ids: Iterable[int], keep_for: timedelta) -> None:
        """Mark replies to a forgotten resident: delete them once delivered, at the latest
        after ``keep_for``."""
        ids = list(ids)
        if not ids:  # the usual case, every batch: no hop to the database thread for nothing
            return
        until = (datetime.now(timezone.utc) + keep_for).isoformat(timespec="microseconds")
        await self._db.executemany("UPDATE outbox SET erase_after = ? WHERE id = ?", [(until, i) for i in ids])

    async def erase_delivered(self, ids: Iterable[int]) -> int:
        """Delete those of ``ids`` that were marked to be erased (they have just been delivered,
        or have failed for good)."""
        ids = list(ids)
        if not ids:
            return 0
        marks = ", ".join("?" * len(ids))
        cursor = await self._db.execute(
            f"DELETE FROM outbox WHERE erase_after IS NOT NULL AND id IN ({marks})", ids)
        return cursor.rowcount

    async def erase_expired(self, moment: str) -> int:
        """Delete every reply marked to be erased whose time has come, delivered or not."""
        cursor = await self._db.execute(
            "DELETE FROM outbox WHERE erase_after IS NOT NULL AND erase_after <= ?", (moment,))
        return cursor.rowcount
