"""Residents' supports of proposals: a vote for an idea already sent, one per resident per proposal."""
from __future__ import annotations

from typing import Iterable

from storage.clock import now
from storage.sql import SqlConnection


class Supports:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    async def supportable(self, proposal_id: int, resident_id: int, statuses: Iterable[str]) -> bool:
        """Whether a resident may support the proposal: it exists, is public (one of
        ``statuses``) and is not their own."""
        shown = list(statuses)
        marks = ", ".join("?" for _ in shown) or "NULL"
        rows = await self._db.execute_fetchall(
            f"SELECT 1 FROM proposals WHERE id = ? AND status IN ({marks})"
            " AND (resident_id IS NULL OR resident_id != ?)", [proposal_id, *shown, resident_id])
        return bool(rows)

    async def add(self, proposal_id: int, resident_id: int) -> bool:
        """Record a support; False when the resident already supported this proposal."""
        cursor = await self._db.execute(
            "INSERT INTO proposal_supports (proposal_id, resident_id, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (proposal_id, resident_id) DO NOTHING", (proposal_id, resident_id, now()))
        return cursor.rowcount == 1

    async def count(self, proposal_id: int) -> int:
        rows = await self._db.execute_fetchall(
            "SELECT count(*) FROM proposal_supports WHERE proposal_id = ?", (proposal_id,))
        return rows[0][0]

    async def of_resident(self, resident_id: int) -> list[int]:
        rows = await self._db.execute_fetchall(
            "SELECT proposal_id FROM proposal_supports WHERE resident_id = ? ORDER BY proposal_id", (resident_id,))
        return [r[0] for r in rows]

    async def move(self, source_id: int, target_id: int) -> int:
        """A merged duplicate's supports go to the proposal it duplicates, and its author counts
        as one more supporter there (unless they wrote that one too); return how many the
        target gained."""
        before = await self.count(target_id)
        stamp = now()
        await self._db.execute(
            "INSERT INTO proposal_supports (proposal_id, resident_id, created_at)"
            " SELECT ?, s.resident_id, s.created_at FROM proposal_supports s WHERE s.proposal_id = ?"
            " AND s.resident_id IS DISTINCT FROM (SELECT resident_id FROM proposals WHERE id = ?)"
            " ON CONFLICT (proposal_id, resident_id) DO NOTHING", (target_id, source_id, target_id))
        await self._db.execute(
            "INSERT INTO proposal_supports (proposal_id, resident_id, created_at)"
            " SELECT ?, p.resident_id, ? FROM proposals p WHERE p.id = ? AND p.resident_id IS NOT NULL"
            " AND p.resident_id IS DISTINCT FROM (SELECT resident_id FROM proposals WHERE id = ?)"
            " ON CONFLICT (proposal_id, resident_id) DO NOTHING", (target_id, stamp, source_id, target_id))
        await self._db.execute("DELETE FROM proposal_supports WHERE proposal_id = ?", (source_id,))
        return await self.count(target_id) - before
