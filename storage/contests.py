"""Contest entries, their moderation, and votes: one per voter per category.

Every entry starts 'pending'; only 'approved' entries are ever listed, counted or accepted as
the target of a vote, and every query that shows entries says so itself rather than trusting
its caller. One vote per voter per category is the PRIMARY KEY of contest_votes, so a second
vote is refused by the database whatever the code does.
"""
from __future__ import annotations

from typing import Any

from storage.clock import now
from storage.ports.contests import (
    STATUSES,
    ContestCounts,
    Entry,
    Standing,
    Submission,
    VoteOutcome,
)
from storage.search import matching
from storage.sql import SqlConnection
from storage.statuses import WorkStatus

_ENTRY = "e.id, e.category, e.age_group, e.text, e.file_key, e.status"
_SUBMISSION = ("e.id, e.contest_id, e.category, e.age_group, e.text, e.file_key, e.status, e.channel, e.created_at,"
               " e.moderated_at, e.moderation_reason, e.moderated_by FROM contest_entries e")


class Contests:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    async def submit(self, contest_id: int, resident_id: int, channel: str, category: str, age_group: str,
                     text: str, file_key: str) -> int:
        rows = await self._db.execute_fetchall(
            "INSERT INTO contest_entries (contest_id, resident_id, channel, category, age_group, text, file_key,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (contest_id, resident_id, channel, category, age_group, text, file_key, now()))
        return rows[0][0]

    async def entry(self, entry_id: int) -> Entry | None:
        rows = await self._db.execute_fetchall(f"SELECT {_ENTRY} FROM contest_entries e WHERE e.id = ?", (entry_id,))
        return Entry(*rows[0]) if rows else None

    async def decide(self, entry_id: int, status: str, reason: str = "", actor: str = "") -> str | None:
        """Approve or reject a work (``status``), with the reason and who decided; return its
        status before (None: no such work, or it had this status already, so nothing changed
        and nobody is told twice)."""
        if status not in STATUSES or status == WorkStatus.PENDING:
            raise ValueError(f"a work is approved or rejected, not {status!r}")
        rows = await self._db.execute_fetchall("SELECT status FROM contest_entries WHERE id = ?", (entry_id,))
        if not rows or rows[0][0] == status:
            return None
        await self._db.execute(
            "UPDATE contest_entries SET status = ?, moderation_reason = ?, moderated_by = ?, moderated_at = ?"
            " WHERE id = ?", (status, reason, actor, now(), entry_id))
        return rows[0][0]

    async def submission(self, entry_id: int) -> Submission | None:
        rows = await self._db.execute_fetchall(f"SELECT {_SUBMISSION} WHERE e.id = ?", (entry_id,))
        return Submission(*rows[0]) if rows else None

    async def submissions(self, contest_id: int, status: str, offset: int = 0, limit: int = 50) -> list[Submission]:
        """A contest's works in one status, for staff: the waiting ones oldest first (in the order
        they came), the decided ones latest decision first."""
        order = "e.id" if status == WorkStatus.PENDING else "e.moderated_at DESC, e.id DESC"
        rows = await self._db.execute_fetchall(
            f"SELECT {_SUBMISSION} WHERE e.contest_id = ? AND e.status = ? ORDER BY {order} LIMIT ? OFFSET ?",
            (contest_id, status, limit, offset))
        return [Submission(*row) for row in rows]

    async def overview(self) -> list[ContestCounts]:
        """Every stored contest with how many of its works wait, were approved, were rejected."""
        rows = await self._db.execute_fetchall(
            "SELECT c.id, c.key, c.definition,"
            " count(e.id) FILTER (WHERE e.status = 'pending'),"
            " count(e.id) FILTER (WHERE e.status = 'approved'),"
            " count(e.id) FILTER (WHERE e.status = 'rejected')"
            " FROM content_items c LEFT JOIN contest_entries e ON e.contest_id = c.id WHERE c.kind = 'contests'"
            " GROUP BY c.id ORDER BY c.opens_at DESC, c.id DESC")
        return [ContestCounts(*row) for row in rows]

    async def author(self, entry_id: int) -> tuple[str, str, str] | None:
        """(channel, external id, language) of the work's author, or None when they are gone
        (forgotten: resident_id was cleared) or cannot be written to."""
        rows = await self._db.execute_fetchall(
            "SELECT r.channel, r.external_id, r.language FROM contest_entries e"
            " JOIN residents r ON r.id = e.resident_id WHERE e.id = ? AND r.reachable = 1", (entry_id,))
        return (rows[0][0], rows[0][1], rows[0][2]) if rows else None

    async def holds_photo(self, file_key: str) -> bool:
        """Whether ``file_key`` is the photo of some contest work (the panel shows only those)."""
        rows = await self._db.execute_fetchall(
            "SELECT 1 FROM contest_entries WHERE file_key = ? AND file_key != '' LIMIT 1", (file_key,))
        return bool(rows)

    async def approved(self, contest_id: int, category: str, offset: int = 0, limit: int = 10) -> list[Entry]:
        rows = await self._db.execute_fetchall(
            f"SELECT {_ENTRY} FROM contest_entries e WHERE e.contest_id = ? AND e.category = ?"
            " AND e.status = 'approved' ORDER BY e.id LIMIT ? OFFSET ?", (contest_id, category, limit, offset))
        return [Entry(*row) for row in rows]

    async def vote(self, contest_id: int, entry_id: int, category: str, voter_key: str,
                   resident_id: int) -> VoteOutcome:
        """Vote for an approved entry of ``category`` in this contest; anything else is refused."""
        target = await self._db.execute_fetchall(
            "SELECT 1 FROM contest_entries WHERE id = ? AND contest_id = ? AND category = ? AND status = 'approved'",
            (entry_id, contest_id, category))
        if not target:
            return "not_votable"
        rows = await self._db.execute_fetchall(
            "INSERT INTO contest_votes (contest_id, category, voter_key, resident_id, entry_id, cast_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (contest_id, category, voter_key) DO NOTHING RETURNING entry_id",
            (contest_id, category, voter_key, resident_id, entry_id, now()))
        return "cast" if rows else "already"

    async def votes_of(self, contest_id: int, voter_key: str) -> dict[str, int]:
        """Category → the entry this voter chose."""
        rows = await self._db.execute_fetchall(
            "SELECT category, entry_id FROM contest_votes WHERE contest_id = ? AND voter_key = ?",
            (contest_id, voter_key))
        return {row[0]: row[1] for row in rows}

    async def results(self, contest_id: int) -> list[Standing]:
        """Approved entries with their votes, by category, the most voted first."""
        rows = await self._db.execute_fetchall(
            f"SELECT {_ENTRY}, count(v.entry_id) AS votes FROM contest_entries e"
            " LEFT JOIN contest_votes v ON v.entry_id = e.id AND v.contest_id = e.contest_id"
            " AND v.category = e.category"
            " WHERE e.contest_id = ? AND e.status = 'approved'"
            " GROUP BY e.id ORDER BY e.category, votes DESC, e.id", (contest_id,))
        return [Standing(Entry(*row[:6]), row[6]) for row in rows]

    async def results_announced(self, contest_key: str) -> None:
        await self._db.execute(
            "INSERT INTO contest_results_announced (contest_id, announced_at)"
            " SELECT id, ? FROM content_items WHERE kind = 'contests' AND key = ?"
            " ON CONFLICT (contest_id) DO NOTHING", (now(), contest_key))

    async def search(self, query: str, *, contest_id: int | None = None, status: str | None = None,
                     limit: int = 50, offset: int = 0) -> tuple[list[Entry], int]:
        """Works whose text holds every word of ``query`` in any form (by lemmas,
        ``storage.search``), optionally of one contest and status, newest first, and how many
        there are. An empty ``query`` filters nothing: every work of that contest and status."""
        clauses: list[str] = []
        params: list[Any] = []
        found = matching(self._db.dialect, "contest_entries", query)
        if found:
            clauses.append(f"e.id IN ({found[0]})")
            params.append(found[1])
        if contest_id is not None:
            clauses.append("e.contest_id = ?")
            params.append(contest_id)
        if status is not None:
            clauses.append("e.status = ?")
            params.append(status)
        where = " AND ".join(clauses) or "1 = 1"
        total = (await self._db.execute_fetchall(
            f"SELECT count(*) FROM contest_entries e WHERE {where}", params))[0][0]
        rows = await self._db.execute_fetchall(
            f"SELECT {_ENTRY} FROM contest_entries e WHERE {where} ORDER BY e.id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset])
        return [Entry(*row) for row in rows], total
