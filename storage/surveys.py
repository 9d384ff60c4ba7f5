"""Survey responses: one per resident per wave of a survey (a survey without waves is one wave),
answers kept as one JSON object so that the export is one row per respondent, and the current
question kept so a resident can resume. And the waves' reminders, settled once per wave."""
from __future__ import annotations

import json
from typing import Any

from storage.clock import now
from storage.ports.surveys import REMINDER_BY, FoundResponse, Response
from storage.search import matching, text_answers
from storage.sql import SqlConnection


class Surveys:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    async def begin(self, survey_id: int, resident_id: int, channel: str, first: str, wave: int = 1) -> Response:
        """The resident's response to ``wave``, started now at ``first`` or as they left it."""
        await self._db.execute(
            "INSERT INTO survey_responses (survey_id, wave, resident_id, channel, current, started_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (survey_id, wave, resident_id) DO NOTHING",
            (survey_id, wave, resident_id, channel, first, now()))
        rows = await self._db.execute_fetchall(
            "SELECT id, answers, current, completed_at IS NOT NULL FROM survey_responses"
            " WHERE survey_id = ? AND wave = ? AND resident_id = ?", (survey_id, wave, resident_id))
        row = rows[0]
        return Response(row[0], json.loads(row[1]), row[2], bool(row[3]), wave)

    async def answered(self, survey_id: int, wave: int, resident_id: int) -> bool:
        """Whether the resident completed that wave (without starting a response)."""
        rows = await self._db.execute_fetchall(
            "SELECT 1 FROM survey_responses WHERE survey_id = ? AND wave = ? AND resident_id = ?"
            " AND completed_at IS NOT NULL", (survey_id, wave, resident_id))
        return bool(rows)

    async def save(self, response: Response) -> None:
        await self._db.execute(
            "UPDATE survey_responses SET answers = ?, current = ?,"
            " completed_at = CASE WHEN ? = 1 THEN coalesce(completed_at, ?) END WHERE id = ?",
            (json.dumps(response.answers, ensure_ascii=False), response.current, response.completed, now(),
             response.id))

    async def completed_count(self, survey_id: int, wave: int | None = None) -> int:
        rows = await self._db.execute_fetchall(
            "SELECT count(*) FROM survey_responses WHERE survey_id = ? AND completed_at IS NOT NULL"
            " AND (CAST(? AS INTEGER) IS NULL OR wave = ?)", (survey_id, wave, wave))
        return rows[0][0]

    # -- the waves' reminders --------------------------------------------------------------------

    async def wave_settled(self, survey_id: int, wave: int) -> bool:
        rows = await self._db.execute_fetchall(
            "SELECT 1 FROM survey_wave_reminders WHERE survey_id = ? AND wave = ?", (survey_id, wave))
        return bool(rows)

    async def settle_wave(self, survey_id: int, wave: int, broadcast_id: int | None) -> bool:
        """Settle the wave's reminder as made by ``broadcast_id`` (None: never to be sent); False
        when it was settled already (of two callers only one wins)."""
        cursor = await self._db.execute(
            "INSERT INTO survey_wave_reminders (survey_id, wave, broadcast_id, settled_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (survey_id, wave) DO NOTHING", (survey_id, wave, broadcast_id, now()))
        return cursor.rowcount == 1

    async def skip_answered(self, survey_id: int, wave: int, resident_id: int | None = None) -> int:
        """The wave's reminder is not sent to whoever completed that wave (one resident, or all of
        them): their pending deliveries of it are skipped. How many."""
        cursor = await self._db.execute(
            "UPDATE deliveries SET status = 'skipped', error = 'answered', name = ''"
            " WHERE status = 'pending' AND broadcast_id = (SELECT broadcast_id FROM survey_wave_reminders"
            " WHERE survey_id = ? AND wave = ?) AND resident_id IN (SELECT resident_id FROM survey_responses"
            " WHERE survey_id = ? AND wave = ? AND completed_at IS NOT NULL"
            " AND (CAST(? AS INTEGER) IS NULL OR resident_id = ?))",
            (survey_id, wave, survey_id, wave, resident_id, resident_id))
        return cursor.rowcount

    async def stray_reminder_drafts(self, made_before: str) -> list[int]:
        """Draft broadcasts made for a wave before ``made_before`` that no wave points to: left by
        a crash between making the draft and settling the wave."""
        rows = await self._db.execute_fetchall(
            "SELECT b.id FROM broadcasts b WHERE b.status = 'draft' AND b.created_by LIKE ? || '%'"
            " AND b.created_at < ? AND NOT EXISTS (SELECT 1 FROM survey_wave_reminders w WHERE w.broadcast_id = b.id)"
            " ORDER BY b.id", (REMINDER_BY, made_before))
        return [row[0] for row in rows]

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
