"""Leases on the work that runs once in the cluster (storage/ports/leases.py).

Taking and renewing are one conditional upsert: the row is written only when it is missing,
expired, or already ours, and ``RETURNING`` says whether it was. Both SQLite and PostgreSQL
run it as one atomic statement, so of two processes racing for a free lease exactly one gets a
row back. ``taken_at`` moves only when the holder changes, so it tells when a takeover happened.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from storage.clock import now
from storage.ports.leases import Lease
from storage.sql import SqlConnection


def _after(moment: str, seconds: float) -> str:
    later = datetime.fromisoformat(moment) + timedelta(seconds=seconds)
    return later.astimezone(timezone.utc).isoformat(timespec="microseconds")


class Leases:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    async def acquire(self, name: str, holder: str, ttl: float) -> bool:
        moment = now()
        rows = await self._db.execute_fetchall(
            "INSERT INTO leases (name, holder, taken_at, expires_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,"
            " taken_at = CASE WHEN leases.holder = excluded.holder THEN leases.taken_at ELSE excluded.taken_at END"
            " WHERE leases.expires_at <= ? OR leases.holder = excluded.holder"
            " RETURNING holder",
            (name, holder, moment, _after(moment, ttl), moment))
        return bool(rows)

    async def release(self, name: str, holder: str) -> bool:
        cursor = await self._db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder))
        return cursor.rowcount > 0

    async def holder(self, name: str) -> Lease | None:
        rows = await self._db.execute_fetchall(
            "SELECT name, holder, taken_at, expires_at FROM leases WHERE name = ? AND expires_at > ?",
            (name, now()))
        return Lease(*rows[0]) if rows else None
