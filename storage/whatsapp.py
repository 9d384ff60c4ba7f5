"""WhatsApp's own records: the customer-service window per number and the delivery receipts.

The functions take a connection (the writer inside ``Database.transaction`` or the reader), so
they run in the caller's transaction like the repositories do.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from storage.clock import now
from storage.ports.whatsapp import Receipt
from storage.sql import SqlConnection, json_text_at


async def touch_window(db: SqlConnection, wa_id: str, at: str | None = None) -> None:
    """The resident wrote to us: the window is open for another 24 hours from ``at``."""
    await db.execute(
        "INSERT INTO whatsapp_contacts (wa_id, last_inbound_at) VALUES (?, ?)"
        " ON CONFLICT (wa_id) DO UPDATE SET last_inbound_at = CASE"
        " WHEN excluded.last_inbound_at > whatsapp_contacts.last_inbound_at THEN excluded.last_inbound_at"
        " ELSE whatsapp_contacts.last_inbound_at END",
        (wa_id, at or now()))


async def last_inbound(db: SqlConnection, wa_id: str) -> datetime | None:
    rows = await db.execute_fetchall("SELECT last_inbound_at FROM whatsapp_contacts WHERE wa_id = ?", (wa_id,))
    return datetime.fromisoformat(rows[0][0]) if rows and rows[0][0] else None


async def window_open(db: SqlConnection, wa_id: str, hours: float) -> bool:
    last = await last_inbound(db, wa_id)
    return last is not None and datetime.now(timezone.utc) - last < timedelta(hours=hours)


async def count_skipped(db: SqlConnection, wa_id: str) -> None:
    await db.execute(
        "INSERT INTO whatsapp_contacts (wa_id, last_inbound_at, skipped_broadcasts) VALUES (?, '', 1)"
        " ON CONFLICT (wa_id) DO UPDATE SET skipped_broadcasts = whatsapp_contacts.skipped_broadcasts + 1", (wa_id,))


async def skipped_total(db: SqlConnection) -> int:
    rows = await db.execute_fetchall("SELECT coalesce(sum(skipped_broadcasts), 0) FROM whatsapp_contacts")
    return int(rows[0][0])


async def record_receipt(db: SqlConnection, receipt: Receipt) -> None:
    """Keep a receipt for a number a resident has. The receipts of the last message to a number
    that was forgotten (the confirmation of the erasure) arrive after the erasure, and storing
    them would write the number back into the database."""
    await db.execute(
        "INSERT INTO whatsapp_statuses (message_id, status, recipient_id, error_code, error_title, at)"
        " SELECT ?, ?, ?, CAST(? AS INTEGER), ?, ? WHERE EXISTS"
        " (SELECT 1 FROM residents WHERE channel = 'whatsapp' AND external_id = ?)"
        " ON CONFLICT (message_id, status) DO NOTHING",
        (receipt.message_id, receipt.status, receipt.recipient_id, receipt.error_code, receipt.error_title,
         receipt.at, receipt.recipient_id))


async def receipts(db: SqlConnection, message_id: str | None = None) -> list[Receipt]:
    query = "SELECT message_id, status, recipient_id, at, error_code, error_title FROM whatsapp_statuses"
    rows = await db.execute_fetchall(query + (" WHERE message_id = ?" if message_id else "") + " ORDER BY at",
                                     (message_id,) if message_id else ())
    return [Receipt(*row) for row in rows]


class WhatsappRecords:
    """The functions above bound to one connection: what ``Repositories.whatsapp`` hands out."""

    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    async def touch_window(self, wa_id: str, at: str | None = None) -> None:
        await touch_window(self._db, wa_id, at)

    async def window_open(self, wa_id: str, hours: float) -> bool:
        return await window_open(self._db, wa_id, hours)

    async def count_skipped(self, wa_id: str) -> None:
        await count_skipped(self._db, wa_id)

    async def record_receipt(self, receipt: Receipt) -> None:
        await record_receipt(self._db, receipt)

    async def forget_orphans(self, before: str) -> int:
        return await forget_orphans(self._db, before)


async def forget_orphans(db: SqlConnection, before: str) -> int:
    """Delete what is kept about numbers no resident has any more (they asked to be forgotten).

    A window row is kept while the last reply to the number (the confirmation of the erasure)
    still waits in the outbox or an event of the number still waits in the inbox, since sending
    needs the window; once neither does, or once the window has closed (the last message is
    older than ``before``), it goes. Receipts of such numbers go at once."""
    cursor = await db.execute(
        "DELETE FROM whatsapp_contacts"
        " WHERE wa_id NOT IN (SELECT external_id FROM residents WHERE channel = 'whatsapp')"
        " AND (last_inbound_at < ?"
        "      OR (wa_id NOT IN (SELECT external_id FROM outbox WHERE channel = 'whatsapp')"
        "          AND NOT EXISTS (SELECT 1 FROM inbox WHERE processed_at IS NULL AND payload IS NOT NULL"
        f"                          AND {json_text_at(db.dialect, 'payload', 'ref', 'channel')} = 'whatsapp'"
        f"                          AND {json_text_at(db.dialect, 'payload', 'ref', 'external_id')} = wa_id)))",
        (before,))
    contacts = cursor.rowcount
    cursor = await db.execute(
        "DELETE FROM whatsapp_statuses WHERE recipient_id NOT IN"
        " (SELECT external_id FROM residents WHERE channel = 'whatsapp')")
    return contacts + cursor.rowcount
