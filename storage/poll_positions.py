"""Where a long poll has stored up to (storage/ports/poll_positions.py): one row per channel and
key, replaced as the poll moves on. In the database rather than a file so that any process of
the cluster, on any machine, that takes the poll over reads it."""
from __future__ import annotations

from storage.clock import now
from storage.sql import SqlConnection


class PollPositionRecords:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    async def get(self, channel: str, key: str) -> str | None:
        rows = await self._db.execute_fetchall(
            "SELECT value FROM poll_positions WHERE channel = ? AND key = ?", (channel, key))
        return str(rows[0][0]) if rows else None

    async def put(self, channel: str, key: str, value: str) -> None:
        await self._db.execute(
            "INSERT INTO poll_positions (channel, key, value, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (channel, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (channel, key, value, now()))
