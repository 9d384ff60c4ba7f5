"""Reporting back to authors (storage/ports/digests.py): their news and their digest marks."""
from __future__ import annotations

from storage.broadcasts import REACHABLE
from storage.ports.digests import DigestRecipient, ProposalNews
from storage.sql import SqlConnection

# What an author is told of: the staff's status changes and answers (not experts' opinions, nor
# the author's own steps), on proposals not hidden as spam.
TOLD = "e.kind IN ('status', 'answer') AND e.actor != ''"
SHOWN = "p.status != 'spam'"
LATEST_ANSWER = ("coalesce((SELECT a.text FROM proposal_events a WHERE a.proposal_id = p.id AND a.kind = 'answer'"
                 " ORDER BY a.id DESC LIMIT 1), '')")


class Digests:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    async def due(self, sent_before: str, after: int, limit: int) -> list[DigestRecipient]:
        rows = await self._db.execute_fetchall(
            "SELECT r.id, r.channel, r.external_id, r.language, coalesce(m.told_up_to, 0) FROM residents r"
            " LEFT JOIN digest_marks m ON m.resident_id = r.id"
            f" WHERE {REACHABLE} AND r.id > ? AND (m.sent_at IS NULL OR m.sent_at < ?)"
            " AND EXISTS (SELECT 1 FROM proposals p JOIN proposal_events e ON e.proposal_id = p.id"
            f"  WHERE p.resident_id = r.id AND {SHOWN} AND {TOLD} AND e.id > coalesce(m.told_up_to, 0))"
            " ORDER BY r.id LIMIT ?", (after, sent_before, limit))
        return [DigestRecipient(*row) for row in rows]

    async def news(self, resident_id: int, after_event: int) -> list[ProposalNews]:
        rows = await self._db.execute_fetchall(
            f"SELECT p.id, p.category, p.text, p.status, {LATEST_ANSWER},"
            " EXISTS (SELECT 1 FROM proposal_events e WHERE e.proposal_id = p.id AND e.id > :after"
            "  AND e.kind = 'status' AND e.actor != ''),"
            f" (SELECT max(e.id) FROM proposal_events e WHERE e.proposal_id = p.id AND e.id > :after AND {TOLD})"
            f" FROM proposals p WHERE p.resident_id = :resident AND {SHOWN}"
            f" AND EXISTS (SELECT 1 FROM proposal_events e WHERE e.proposal_id = p.id AND e.id > :after AND {TOLD})"
            " ORDER BY p.id DESC", {"resident": resident_id, "after": after_event})
        return [ProposalNews(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6] or 0) for r in rows]

    async def outcomes(self, resident_id: int, limit: int, offset: int = 0) -> list[ProposalNews]:
        rows = await self._db.execute_fetchall(
            f"SELECT p.id, p.category, p.text, p.status, {LATEST_ANSWER} FROM proposals p"
            " WHERE p.resident_id = ? ORDER BY p.id DESC LIMIT ? OFFSET ?", (resident_id, limit, offset))
        return [ProposalNews(r[0], r[1], r[2], r[3], r[4], False, 0) for r in rows]

    async def count_proposals(self, resident_id: int) -> int:
        rows = await self._db.execute_fetchall("SELECT count(*) FROM proposals WHERE resident_id = ?", (resident_id,))
        return int(rows[0][0])

    async def mark(self, resident_id: int, told_up_to: int, sent_at: str) -> None:
        await self._db.execute(
            "INSERT INTO digest_marks (resident_id, told_up_to, sent_at) VALUES (?, ?, ?)"
            " ON CONFLICT (resident_id) DO UPDATE SET told_up_to = CASE"
            " WHEN excluded.told_up_to > digest_marks.told_up_to THEN excluded.told_up_to"
            " ELSE digest_marks.told_up_to END,"
            " sent_at = excluded.sent_at", (resident_id, told_up_to, sent_at))

    async def last_sent(self, resident_id: int) -> str | None:
        rows = await self._db.execute_fetchall("SELECT sent_at FROM digest_marks WHERE resident_id = ?", (resident_id,))
        return rows[0][0] if rows else None
