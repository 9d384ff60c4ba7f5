"""Residents' subscriptions to announcement topics."""
from __future__ import annotations

from storage.clock import now
from storage.sql import SqlConnection


class Subscriptions:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    async def topics_of(self, resident_id: int) -> set[str]:
        rows = await self._db.execute_fetchall(
            "SELECT topic FROM subscriptions WHERE resident_id = ?", (resident_id,))
        return {row[0] for row in rows}

    async def subscribe(self, resident_id: int, topic: str) -> None:
        await self._db.execute(
            "INSERT INTO subscriptions (resident_id, topic, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (resident_id, topic) DO NOTHING", (resident_id, topic, now()))

    async def unsubscribe(self, resident_id: int, topic: str) -> None:
        await self._db.execute(
            "DELETE FROM subscriptions WHERE resident_id = ? AND topic = ?", (resident_id, topic))

    async def unsubscribe_all(self, resident_id: int) -> int:
        cursor = await self._db.execute("DELETE FROM subscriptions WHERE resident_id = ?", (resident_id,))
        return cursor.rowcount

    async def subscribers(self, topic: str) -> list[tuple[str, str, str]]:
        """(channel, external id, language) of every reachable subscriber of ``topic``."""
        rows = await self._db.execute_fetchall(
            "SELECT r.channel, r.external_id, r.language FROM subscriptions s"
            " JOIN residents r ON r.id = s.resident_id WHERE s.topic = ? AND r.reachable = 1 ORDER BY r.id",
            (topic,))
        return [(r[0], r[1], r[2]) for r in rows]
