"""The generic gateway's event ids, each with the fingerprint of the event it first carried.

An event id is the gateway's idempotency key (docs/gateway.md). The inbox recognises an id it has
seen, but keeps no trace of what the event said once it is processed; the fingerprint here is
what tells a retry (same id, same event: a duplicate) from a different event sent under a used
id, which must be refused rather than silently dropped.
"""
from __future__ import annotations

from storage.clock import now
from storage.sql import SqlConnection


class GatewayEventIds:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    async def claim(self, event_id: str, fingerprint: str) -> bool:
        """Take the id for this event; False when it was taken by an event with another fingerprint."""
        await self._db.execute(
            "INSERT INTO gateway_event_ids (event_id, fingerprint, received_at) VALUES (?, ?, ?)"
            " ON CONFLICT (event_id) DO NOTHING", (event_id, fingerprint, now()))
        rows = await self._db.execute_fetchall(
            "SELECT fingerprint FROM gateway_event_ids WHERE event_id = ?", (event_id,))
        return rows[0][0] == fingerprint

    async def prune(self, before: str) -> int:
        cursor = await self._db.execute("DELETE FROM gateway_event_ids WHERE received_at < ?", (before,))
        return cursor.rowcount
