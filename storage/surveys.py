"""Survey responses: one per resident per survey, answers kept as one JSON object so that the
export is one row per respondent, and the current question kept so a resident can resume."""
from __future__ import annotations

import json
from typing import Any

from storage.clock import now
from storage.ports.surveys import FoundResponse, Response
from storage.search import matching, text_answers
from storage.sql import SqlConnection


class Surveys:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    async def begin(self, survey_id: int, resident_id: int, channel: str, first: str) -> Response:
        """The resident's response, started now at ``first`` or as they left it."""
        await self._db.execute(
            "INSERT INTO survey_responses (survey_id, resident_id, channel, current, started_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (survey_id, resident_id) DO NOTHING",
            (survey_id, resident_id, channel, first, now()))
        rows = await self._db.execute_fetchall(
            "SELECT id, answers, current, completed_at IS NOT NULL FROM survey_responses"
            " WHERE survey_id = ? AND resident_id = ?", (survey_id, resident_id))
        row = rows[0]
        return Response(row[0], json.loads(row[1]), row[2], bool(row[3]))

    async def save(self, response: Response) -> None:
        await self._db.execute(
            "UPDATE survey_responses SET answers = ?, current = ?,"
            " completed_at = CASE WHEN ? = 1 THEN coalesce(completed_at, ?) END WHERE id = ?",
            (json.dumps(response.answers, ensure_ascii=False), response.current, response.completed, now(),
             response.id))

    async def completed_count(self, survey_id: int) -> int:
        rows = await self._db.execute_fetchall(
            "SELECT count(*) FROM survey_responses WHERE survey_id = ? AND completed_at IS NOT NULL", (survey_id,))
        return rows[0][0]

    async def search(self, query: str, *, survey_id: int | None = None, limit: int = 50,
                     offset: int = 0) -> tuple[list[FoundResponse], int]:
        """Responses whose text answers hold every word of ``query`` in any form (by lemmas,
        ``storage.search``), newest first, and how many there are; '' finds none."""
        search = matching(self._db.dialect, "survey_answers", query)
        if not search:
            return [], 0
        where = f"r.id IN ({search[0]})"
        params: list[Any] = [search[1]]
        if survey_id is not None:
            where += " AND r.survey_id = ?"
            params.append(survey_id)
        total = (await self._db.execute_fetchall(
            f"SELECT count(*) FROM survey_responses r WHERE {where}", params))[0][0]
        rows = await self._db.execute_fetchall(
            "SELECT r.id, s.key, s.definition, r.channel, r.completed_at, r.answers FROM survey_responses r"
            f" JOIN content_items s ON s.id = r.survey_id WHERE {where} ORDER BY r.id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset])
        found = []
        for response_id, key, definition_json, channel, completed_at, answers_json in rows:
            definition = json.loads(definition_json)
            answers = text_answers(json.loads(answers_json or "{}"), definition)
            found.append(FoundResponse(response_id, key, definition, channel, completed_at, answers))
        return found, total
