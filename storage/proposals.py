"""Proposals residents submit, with their photos and map point."""
from __future__ import annotations

from storage.clock import now
from storage.ports.proposals import NewProposal, ProposalSummary
from storage.sql import SqlConnection


class Proposals:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    async def create(self, proposal: NewProposal) -> int:
        stamp = now()
        rows = await self._db.execute_fetchall(
            "INSERT INTO proposals (resident_id, channel, source, category, text, address, latitude,"
            " longitude, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (proposal.resident_id, proposal.channel, proposal.source, proposal.category, proposal.text,
             proposal.address, proposal.latitude, proposal.longitude, stamp, stamp))
        proposal_id = rows[0][0]
        if proposal.photos:  # most come without: no statement for nothing
            await self._db.executemany(
                "INSERT INTO proposal_attachments (proposal_id, file_key, mime_type, position) VALUES (?, ?, ?, ?)",
                [(proposal_id, key, mime, position) for position, (key, mime) in enumerate(proposal.photos)])
        return proposal_id

    async def of_resident(self, resident_id: int, limit: int) -> list[ProposalSummary]:
        rows = await self._db.execute_fetchall(
            "SELECT p.id, p.category, p.text, p.status, p.created_at,"
            " (SELECT count(*) FROM proposal_attachments a WHERE a.proposal_id = p.id),"
            " p.latitude IS NOT NULL OR p.address != ''"
            " FROM proposals p WHERE p.resident_id = ? ORDER BY p.id DESC LIMIT ?", (resident_id, limit))
        return [ProposalSummary(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in rows]

    async def count_of_resident(self, resident_id: int) -> int:
        rows = await self._db.execute_fetchall(
            "SELECT count(*) FROM proposals WHERE resident_id = ?", (resident_id,))
        return rows[0][0]

    async def attachments(self, proposal_id: int) -> list[tuple[str, str]]:
        rows = await self._db.execute_fetchall(
            "SELECT file_key, mime_type FROM proposal_attachments WHERE proposal_id = ? ORDER BY position",
            (proposal_id,))
        return [(r[0], r[1]) for r in rows]

    async def disown(self, resident_id: int) -> int:
        """Keep the ideas, drop the link to their author (used when a resident forgets)."""
        cursor = await self._db.execute(
            "UPDATE proposals SET resident_id = NULL, updated_at = ? WHERE resident_id = ?", (now(), resident_id))
        return cursor.rowcount
