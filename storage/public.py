"""The public page's SQL: which proposals anyone may see, published poll results, aired episodes.

``VISIBLE`` is the one rule of what is public, shared by the page, the map and both feeds: staff
marked the proposal public with a text they approved, and it is neither spam nor a merged
duplicate. A change of the author's text unpublishes it (a trigger of migration 0023), so an
erasure at the author's request or a correction nobody read never reaches the page. The columns
read never include the author, their channel, source or the author's own text.
"""
from __future__ import annotations

import json
from typing import Any

from storage.clock import now
from storage.contests import Contests
from storage.polls import Polls
from storage.ports.public import (
    AiredEpisode,
    MapPoll,
    Publication,
    PublicFilter,
    PublicProposal,
    PublishedContest,
    PublishedPoll,
)
from storage.sql import SqlConnection
from storage.statuses import SET_ASIDE

_ASIDE = ", ".join(f"'{status}'" for status in sorted(SET_ASIDE))  # the enum's own words, not input
VISIBLE = f"p.public = 1 AND p.status NOT IN ({_ASIDE}) AND p.public_text != ''"
_COLUMNS = ("p.id, p.category, p.status, p.public_text, p.address, p.latitude, p.longitude, p.public_answer,"
            " p.created_at, p.updated_at, (SELECT count(*) FROM proposal_supports s WHERE s.proposal_id = p.id)")


def _where(filters: PublicFilter, located_only: bool) -> tuple[str, list[Any]]:
    clauses, params = [VISIBLE], []
    if filters.category:
        clauses.append("p.category = ?")
        params.append(filters.category)
    if filters.status:
        clauses.append("p.status = ?")
        params.append(filters.status)
    if located_only:
        clauses.append("p.latitude IS NOT NULL AND p.longitude IS NOT NULL")
    return " AND ".join(clauses), params


class Public:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    async def revision(self, moment: str) -> str:
        """Each part is read off an index or a small table: the newest proposal revision and the
        public count (a deletion lowers it), supports, announced polls and their ballots, aired
        episodes and their series."""
        rows = await self._db.execute_fetchall(
            "SELECT (SELECT coalesce(max(revision), 0) FROM proposals),"
            " (SELECT count(*) FROM proposals WHERE public = 1),"
            " (SELECT coalesce(max(created_at), '') || '.' || count(*) FROM proposal_supports),"
            " (SELECT coalesce(max(updated_at), '') || '.' || count(results_sent_at) FROM content_items"
            "  WHERE kind = 'polls'),"
            " (SELECT count(*) FROM contest_results_announced),"
            " (SELECT count(*) FROM contest_votes v JOIN contest_results_announced a ON a.contest_id = v.contest_id),"
            " (SELECT count(*) FROM ballots b JOIN content_items c ON c.id = b.poll_id"
            "  WHERE c.results_sent_at IS NOT NULL),"
            " (SELECT count(*) || '.' || coalesce(max(updated_at), '') FROM episodes WHERE air_at <= ?),"
            " (SELECT coalesce(max(updated_at), '') FROM series),"
            " (SELECT count(*) || '.' || coalesce(max(updated_at), '') FROM volunteers)", (moment,))
        return "/".join(str(part) for part in rows[0])

    async def proposals(self, filters: PublicFilter, limit: int, offset: int = 0,
                        located_only: bool = False) -> tuple[list[PublicProposal], int]:
        where, params = _where(filters, located_only)
        total = (await self._db.execute_fetchall(f"SELECT count(*) FROM proposals p WHERE {where}", params))[0][0]
        rows = await self._db.execute_fetchall(
            f"SELECT {_COLUMNS} FROM proposals p WHERE {where} ORDER BY p.id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset])
        return [PublicProposal(*row) for row in rows], total

    async def published_polls(self) -> list[PublishedPoll]:
        rows = await self._db.execute_fetchall(
            "SELECT id, key, definition, closes_at FROM content_items"
            " WHERE kind = 'polls' AND results_sent_at IS NOT NULL ORDER BY closes_at DESC, id DESC")
        polls = Polls(self._db)
        return [PublishedPoll(r[1], r[2], r[3], await polls.tally(r[0])) for r in rows]

    async def map_polls(self, moment: str) -> list[MapPoll]:
        rows = await self._db.execute_fetchall(
            "SELECT id, key, definition, results_sent_at IS NOT NULL FROM content_items WHERE kind = 'polls'"
            " AND ((opens_at <= ? AND ? < closes_at) OR results_sent_at IS NOT NULL) ORDER BY closes_at DESC, id DESC",
            (moment, moment))
        polls = Polls(self._db)
        found = []
        for poll_id, key, definition, announced in rows:
            options = json.loads(definition).get("options", [])
            if any(option.get("geometry") for option in options):  # a place among its options
                found.append(MapPoll(key, definition, bool(announced), await polls.tally(poll_id)))
        return found

    async def published_contests(self) -> list[PublishedContest]:
        rows = await self._db.execute_fetchall(
            "SELECT c.id, c.key, c.definition FROM content_items c"
            " JOIN contest_results_announced a ON a.contest_id = c.id ORDER BY a.announced_at DESC, c.id DESC")
        contests = Contests(self._db)
        return [PublishedContest(r[1], r[2], await contests.results(r[0])) for r in rows]

    async def aired_episodes(self, moment: str) -> list[AiredEpisode]:
        rows = await self._db.execute_fetchall(
            "SELECT s.definition, e.number, e.definition, e.air_at FROM episodes e"
            " JOIN series s ON s.id = e.series_id WHERE e.air_at <= ? ORDER BY s.id, e.number", (moment,))
        return [AiredEpisode(*row) for row in rows]

    async def publication(self, proposal_id: int) -> Publication | None:
        rows = await self._db.execute_fetchall(
            "SELECT public, public_text, public_answer FROM proposals WHERE id = ?", (proposal_id,))
        return Publication(bool(rows[0][0]), rows[0][1], rows[0][2]) if rows else None

    async def publish(self, proposal_id: int, public: bool, text: str, answer: str) -> bool:
        text = text if public else ""
        cursor = await self._db.execute(
            "UPDATE proposals SET public = ?, public_text = ?, public_answer = ?, updated_at = ?"
            " WHERE id = ? AND (public != ? OR public_text != ? OR public_answer != ?)",
            (int(public), text, answer, now(), proposal_id, int(public), text, answer))
        return cursor.rowcount == 1
