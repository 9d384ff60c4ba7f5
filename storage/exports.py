"""Paged queries behind the exports: proposals, survey responses and residents, page by page.

Why pages by key (``id > last``) and not OFFSET: an export of 100,000 rows reads each row once
and holds one page in memory, whatever its size; OFFSET would rescan the table for every page.
Personal fields (names, phones, platform ids) are selected only when asked for, so a caller that
may not see them cannot leak them by formatting a column it was not meant to have. Proposals are
chosen by the moderation list's own ``storage.moderation.filter_sql``, so an export holds exactly what
the list showed (spam left out unless asked for, the same full-text search).
"""
from __future__ import annotations

import json
from typing import Any, AsyncIterator

from storage.moderation import filter_sql
from storage.ports.exports import PAGE, PROPOSAL_COLUMNS, PROPOSAL_PERSONAL, PROPOSAL_POINT, RESIDENT_COLUMNS
from storage.ports.moderation import ProposalFilter
from storage.sql import SqlConnection


class Exports:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    async def count_proposals(self, where: ProposalFilter) -> int:
        clause, params = filter_sql(where, "p", self._db.dialect)
        rows = await self._db.execute_fetchall(f"SELECT count(*) FROM proposals p WHERE {clause}", params)
        return rows[0][0]

    async def proposals(self, where: ProposalFilter, personal: bool,
                        page: int = PAGE) -> AsyncIterator[list[dict[str, Any]]]:
        """Pages of proposals in id order, each row a dict of PROPOSAL_COLUMNS (+ personal ones)."""
        clause, params = filter_sql(where, "p", self._db.dialect)
        personal_sql = ", p.resident_id, r.display_name, r.phone" if personal else ""
        sql = ("SELECT p.id, p.created_at, p.channel, p.source, p.category, p.status, p.text, p.address,"
               " p.latitude, p.longitude,"
               " (SELECT count(*) FROM proposal_attachments a WHERE a.proposal_id = p.id),"
               " (SELECT count(*) FROM proposal_supports s WHERE s.proposal_id = p.id), p.point" + personal_sql +
               " FROM proposals p LEFT JOIN residents r ON r.id = p.resident_id"
               f" WHERE p.id > ? AND {clause} ORDER BY p.id LIMIT ?")
        names = PROPOSAL_COLUMNS + (PROPOSAL_POINT,) + (PROPOSAL_PERSONAL if personal else ())
        last = 0
        while True:
            rows = await self._db.execute_fetchall(sql, [last, *params, page])
            if not rows:
                return
            yield [dict(zip(names, row)) for row in rows]
            last = rows[-1][0]

    async def surveys(self) -> list[tuple[int, str, dict[str, Any]]]:
        """(id, key, definition) of every survey, for one sheet or file per survey."""
        rows = await self._db.execute_fetchall(
            "SELECT id, key, definition FROM content_items WHERE kind = 'surveys' ORDER BY id")
        return [(r[0], r[1], json.loads(r[2])) for r in rows]

    async def survey_responses(self, survey_id: int, personal: bool, page: int = PAGE,
                               wave: int | None = None) -> AsyncIterator[list[dict[str, Any]]]:
        """Pages of one survey's responses (of one wave, or of all): one dict per respondent
        with its answers decoded."""
        personal_sql = ", s.resident_id, r.display_name, r.phone" if personal else ""
        sql = ("SELECT s.id, s.channel, s.started_at, s.completed_at, s.answers, s.wave" + personal_sql +
               " FROM survey_responses s LEFT JOIN residents r ON r.id = s.resident_id"
               " WHERE s.survey_id = ? AND (CAST(? AS INTEGER) IS NULL OR s.wave = ?) AND s.id > ?"
               " ORDER BY s.id LIMIT ?")
        last = 0
        while True:
            rows = await self._db.execute_fetchall(sql, (survey_id, wave, wave, last, page))
            if not rows:
                return
            batch = []
            for row in rows:
                item = {"id": row[0], "channel": row[1], "started_at": row[2], "completed_at": row[3],
                        "answers": json.loads(row[4] or "{}"), "wave": row[5]}
                if personal:
                    item.update(resident_id=row[6], author_name=row[7], author_phone=row[8])
                batch.append(item)
            yield batch
            last = rows[-1][0]

    async def residents(self, page: int = PAGE) -> AsyncIterator[list[dict[str, Any]]]:
        """Pages of residents: personal data through and through, for roles allowed to see it."""
        sql = f"SELECT {', '.join(RESIDENT_COLUMNS)} FROM residents WHERE id > ? ORDER BY id LIMIT ?"
        last = 0
        while True:
            rows = await self._db.execute_fetchall(sql, (last, page))
            if not rows:
                return
            yield [dict(zip(RESIDENT_COLUMNS, row)) for row in rows]
            last = rows[-1][0]

    async def series(self) -> list[dict[str, Any]]:
        """Every episode series as its content-file item (key, title, topic, episodes with their
        air times in UTC), for the panel to show and edit in the same YAML as the file."""
        rows = await self._db.execute_fetchall(
            "SELECT s.id, s.definition, e.number, e.definition, e.air_at FROM series s"
            " LEFT JOIN episodes e ON e.series_id = s.id ORDER BY s.id, e.number")
        found: dict[int, dict[str, Any]] = {}
        for series_id, series_definition, number, episode_definition, air_at in rows:
            item = found.setdefault(series_id, {**json.loads(series_definition), "episodes": []})
            if number is not None:
                item["episodes"].append({"number": number, **json.loads(episode_definition), "air_at": air_at})
        return list(found.values())
