"""WhatsApp's own records: the customer-service window per number and the delivery receipts.

The functions take a connection (the writer inside ``Database.transaction`` or the reader), so
they run in the caller's transaction like the repositories do.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import aiosqlite

from storage.clock import now


@dataclass(frozen=True)
class Receipt:
    message_id: str
    status: str
    recipient_id: str
    at: str
    error_code: int | None = None
    error_title: str = ""


async def touch_window(db: aiosqlite.Connection, wa_id: str, at: str | None = None) -> None:
    """The resident wrote to us: the window is open for another 24 hours from ``at``."""
    await db.execute(
        "INSERT INTO whatsapp_contacts (wa_id, last_inbound_at) VALUES (?, ?)"
        " ON CONFLICT (wa_id) DO UPDATE SET last_inbound_at = max(last_inbound_at, excluded.last_inbound_at)",
        (wa_id, at or now()))


async def last_inbound(db: aiosqlite.Connection, wa_id: str) -> datetime | None:
    rows = await db.execute_fetchall("SELECT last_inbound_at FROM whatsapp_contacts WHERE wa_id = ?", (wa_id,))
    return datetime.fromisoformat(rows[0][0]) if rows and rows[0][0] else None


async def window_open(db: aiosqlite.Connection, wa_id: str, hours: float) -> bool:
    last = await last_inbound(db, wa_id)
    return last is not None and datetime.now(timezone.utc) - last < timedelta(hours=hours)


async def count_skipped(db: aiosqlite.Connection, wa_id: str) -> None:
    await db.execute(
        "INSERT INTO whatsapp_contacts (wa_id, last_inbound_at, skipped_broadcasts) VALUES (?, '', 1)"
        " ON CONFLICT (wa_id) DO UPDATE SET skipped_broadcasts = skipped_broadcasts + 1", (wa_id,))


async def skipped_total(db: aiosqlite.Connection) -> int:
    rows = await db.execute_fetchall("SELECT coalesce(sum(skipped_broadcasts), 0) FROM whatsapp_contacts")
    return int(rows[0][0])


async def record_receipt(db: aiosqlite.Connection, receipt: Receipt) -> None:
    await db.execute(
        "INSERT OR IGNORE INTO whatsapp_statuses (message_id, status, recipient_id, error_code, error_title, at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (receipt.message_id, receipt.status, receipt.recipient_id, receipt.error_code, receipt.error_title,
         receipt.at))


async def receipts(db: aiosqlite.Connection, message_id: str | None = None) -> list[Receipt]:
    query = "SELECT message_id, status, recipient_id, at, error_code, error_title FROM whatsapp_statuses"
    rows = await db.execute_fetchall(query + (" WHERE message_id = ?" if message_id else "") + " ORDER BY at",
                                     (message_id,) if message_id else ())
    return [Receipt(*row) for row in rows]


class WhatsappHousekeeping:
    """The part of the WhatsApp tables the bot's housekeeping looks after."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def forget_orphans(self, before: str) -> int:
        return await forget_orphans(self._db, before)


async def forget_orphans(db: aiosqlite.Connection, before: str) -> int:
    """Delete window rows of numbers no resident has any more (they asked to be forgotten) once
    their last message is older than ``before``: the window for a last reply has closed."""
    cursor = await db.execute(
        "DELETE FROM whatsapp_contacts WHERE last_inbound_at < ? AND wa_id NOT IN"
        " (SELECT external_id FROM residents WHERE channel = 'whatsapp')", (before,))
    return cursor.rowcount
