"""Survey responses: one per resident per survey, answers kept as one JSON object so that the
export is one row per respondent, and the current question kept so a resident can resume."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from storage.clock import now


@dataclass
class Response:
    id: int
    answers: dict[str, Any]
    current: str
    completed: bool


class Surveys:
    def __init__(self, connection: aiosqlite.Connection) -> None:
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
            " completed_at = CASE WHEN ? THEN coalesce(completed_at, ?) END WHERE id = ?",
            (json.dumps(response.answers, ensure_ascii=False), response.current, response.completed, now(),
             response.id))

    async def completed_count(self, survey_id: int) -> int:
        rows = await self._db.execute_fetchall(
            "SELECT count(*) FROM survey_responses WHERE survey_id = ? AND completed_at IS NOT NULL", (survey_id,))
        return rows[0][0]
