"""The counts behind the panel's statistics page and the weekly «срез мнений».

All aggregation happens in the database (GROUP BY, json_each over survey answers), so a page of
statistics costs a few queries whatever the number of residents; only the tag cloud reads the
proposal texts themselves, page by page.
"""
from __future__ import annotations

from typing import AsyncIterator

from storage.clock import now
from storage.ports.statistics import Reach, WaveAnswers
from storage.sql import SqlConnection


class Statistics:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    async def _reach(self, column: str) -> list[Reach]:
        rows = await self._db.execute_fetchall(
            f"SELECT coalesce({column}, ''), count(*), count(consent_at),"  # column: one of two names below
            " sum(CASE WHEN EXISTS (SELECT 1 FROM subscriptions s WHERE s.resident_id = r.id) THEN 1 ELSE 0 END),"
            " sum(reachable) FROM residents r GROUP BY 1 ORDER BY 2 DESC, 1")
        return [Reach(r[0], r[1], r[2], r[3] or 0, r[4] or 0) for r in rows]

    async def reach_by_channel(self) -> list[Reach]:
        return await self._reach("channel")

    async def reach_by_source(self) -> list[Reach]:
        return await self._reach("first_source")

    async def proposals_by(self, column: str, since: str = "", until: str = "9") -> list[tuple[str, int]]:
        """(key, proposals) per channel, source or reception point, spam left out, most first."""
        if column not in ("channel", "source", "point"):
            raise ValueError(column)
        rows = await self._db.execute_fetchall(
            f"SELECT coalesce({column}, ''), count(*) FROM proposals"  # column: one of three names above
            " WHERE status != 'spam' AND created_at >= ? AND created_at < ? GROUP BY 1 ORDER BY 2 DESC, 1",
            (since, until))
        return [(r[0], r[1]) for r in rows]

    async def proposals_by_week(self, since: str = "", offset_minutes: int = 0) -> list[tuple[str, int]]:
        """(Monday of the week as YYYY-MM-DD, proposals) in time order; weeks of the town's
        calendar, ``offset_minutes`` east of UTC."""
        if self._db.dialect == "postgresql":  # date_trunc('week'): the Monday, as SQLite's modifiers below
            rows = await self._db.execute_fetchall(
                "SELECT to_char(date_trunc('week', CAST(created_at AS timestamptz) AT TIME ZONE 'UTC'"
                " + make_interval(mins => ?)), 'YYYY-MM-DD'), count(*) FROM proposals"
                " WHERE created_at >= ? GROUP BY 1 ORDER BY 1", (offset_minutes, since))
        else:
            rows = await self._db.execute_fetchall(
                "SELECT date(created_at, ?, 'weekday 0', '-6 days'), count(*) FROM proposals"
                " WHERE created_at >= ? GROUP BY 1 ORDER BY 1", (f"{offset_minutes:+d} minutes", since))
        return [(r[0], r[1]) for r in rows]

    async def proposals_by_category(self, since: str = "", until: str = "9") -> list[tuple[str, int]]:
        rows = await self._db.execute_fetchall(
            "SELECT category, count(*) FROM proposals WHERE created_at >= ? AND created_at < ?"
            " GROUP BY 1 ORDER BY 2 DESC, 1", (since, until))
        return [(r[0], r[1]) for r in rows]

    async def proposals_by_status(self) -> list[tuple[str, int]]:
        rows = await self._db.execute_fetchall(
            "SELECT status, count(*) FROM proposals GROUP BY 1 ORDER BY 2 DESC, 1")
        return [(r[0], r[1]) for r in rows]

    async def new_residents(self, since: str, until: str = "9") -> int:
        rows = await self._db.execute_fetchall(
            "SELECT count(*) FROM residents WHERE created_at >= ? AND created_at < ?", (since, until))
        return rows[0][0]

    async def polls(self) -> list[tuple[str, str]]:
        """(key, definition JSON) of every poll, newest first."""
        rows = await self._db.execute_fetchall(
            "SELECT key, definition FROM content_items WHERE kind = 'polls' ORDER BY opens_at DESC, id DESC")
        return [(r[0], r[1]) for r in rows]

    async def poll_tally(self, key: str) -> tuple[int, dict[str, tuple[int, int]]]:
        """(ballots, {option: (times chosen, sum of scores)}) of one poll."""
        ballots = await self._db.execute_fetchall(
            "SELECT count(*) FROM ballots b JOIN content_items p ON p.id = b.poll_id"
            " WHERE p.kind = 'polls' AND p.key = ?", (key,))
        rows = await self._db.execute_fetchall(
            "SELECT c.option_key, count(*), sum(c.score) FROM ballot_choices c"
            " JOIN ballots b ON b.id = c.ballot_id JOIN content_items p ON p.id = b.poll_id"
            " WHERE p.kind = 'polls' AND p.key = ? GROUP BY 1", (key,))
        return ballots[0][0], {r[0]: (r[1], r[2]) for r in rows}

    async def surveys(self) -> list[tuple[int, str, str]]:
        rows = await self._db.execute_fetchall("SELECT id, key, definition FROM content_items WHERE kind = 'surveys'"
                                               " ORDER BY opens_at DESC, id DESC")
        return [(r[0], r[1], r[2]) for r in rows]

    async def survey_counts(self, survey_id: int) -> tuple[int, int]:
        """(responses started, responses completed)."""
        rows = await self._db.execute_fetchall(
            "SELECT count(*), count(completed_at) FROM survey_responses WHERE survey_id = ?", (survey_id,))
        return rows[0][0], rows[0][1]

    async def survey_answers(self, survey_id: int, question: str) -> dict[str, int]:
        """How often each answer was given to one question; a multiple-choice list counts each
        of its options (json_each walks a list, and yields a single answer as itself)."""
        if self._db.dialect == "postgresql":
            rows = await self._db.execute_fetchall(_ANSWERS_POSTGRESQL, (question, survey_id))
        else:
            rows = await self._db.execute_fetchall(
                "SELECT CAST(j.value AS TEXT), count(*) FROM survey_responses s, json_each(s.answers, ?) j"
                " WHERE s.survey_id = ? GROUP BY 1 ORDER BY 2 DESC",
                ('$."' + question.replace('"', "") + '"', survey_id))
        return {r[0]: r[1] for r in rows if r[0] is not None}

    # -- survey waves side by side -----------------------------------------------------------------

    async def survey_wave_counts(self, survey_id: int) -> dict[int, tuple[int, int]]:
        """wave → (responses started, responses completed)."""
        rows = await self._db.execute_fetchall(
            "SELECT wave, count(*), count(completed_at) FROM survey_responses WHERE survey_id = ? GROUP BY wave",
            (survey_id,))
        return {r[0]: (r[1], r[2]) for r in rows}

    async def survey_wave_answers(self, survey_id: int, question: str) -> dict[int, WaveAnswers]:
        """Per wave, one question's answers: how often each was given (a multiple-choice list
        counts each option), how many respondents answered it, and the average of its numbers."""
        if self._db.dialect == "postgresql":
            counted = await self._db.execute_fetchall(_WAVE_ANSWERS_POSTGRESQL, (question, survey_id))
            answered = await self._db.execute_fetchall(_WAVE_RESPONDENTS_POSTGRESQL, (question, survey_id))
        else:
            path = '$."' + question.replace('"', "") + '"'
            counted = await self._db.execute_fetchall(
                "SELECT s.wave, CAST(j.value AS TEXT), count(*) FROM survey_responses s, json_each(s.answers, ?) j"
                " WHERE s.survey_id = ? GROUP BY 1, 2", (path, survey_id))
            answered = await self._db.execute_fetchall(
                "SELECT wave, count(*), avg(CASE WHEN json_type(answers, ?1) IN ('integer', 'real')"
                " THEN json_extract(answers, ?1) END) FROM survey_responses"
                " WHERE survey_id = ?2 AND json_type(answers, ?1) IS NOT NULL GROUP BY wave", (path, survey_id))
        found = {wave: WaveAnswers(respondents, average, {}) for wave, respondents, average in answered}
        for wave, value, count in counted:
            if value is not None and wave in found:
                found[wave].counts[value] = count
        return found

    async def survey_wave_texts(self, survey_id: int, question: str, limit: int) -> dict[int, list[str]]:
        """Per wave, the newest ``limit`` text answers to one question."""
        if self._db.dialect == "postgresql":
            rows = await self._db.execute_fetchall(_WAVE_TEXTS_POSTGRESQL, (question, survey_id, limit))
        else:
            rows = await self._db.execute_fetchall(
                "SELECT wave, text FROM (SELECT wave, json_extract(answers, ?1) AS text,"
                " row_number() OVER (PARTITION BY wave ORDER BY id DESC) AS place FROM survey_responses"
                " WHERE survey_id = ?2 AND json_type(answers, ?1) = 'text') WHERE place <= ?3 ORDER BY wave, place",
                ('$."' + question.replace('"', "") + '"', survey_id, limit))
        found: dict[int, list[str]] = {}
        for wave, text in rows:
            found.setdefault(wave, []).append(text)
        return found

    async def proposal_texts(self, since: str = "", until: str = "9", page: int = 2000) -> AsyncIterator[list[str]]:
        """Pages of proposal texts (hidden spam left out) for the tag cloud."""
        last = 0
        while True:
            rows = await self._db.execute_fetchall(
                "SELECT id, text FROM proposals WHERE id > ? AND created_at >= ? AND created_at < ?"
                " AND status != 'spam' ORDER BY id LIMIT ?", (last, since, until, page))
            if not rows:
                return
            yield [r[1] for r in rows]
            last = rows[-1][0]

    async def add_report(self, week: str, body: str) -> bool:
        """Keep a week's report; False when that week has one already (nothing is changed)."""
        cursor = await self._db.execute(
            "INSERT INTO weekly_reports (week, body, created_at) VALUES (?, ?, ?) ON CONFLICT (week) DO NOTHING",
            (week, body, now()))
        return cursor.rowcount == 1

    async def has_report(self, week: str) -> bool:
        rows = await self._db.execute_fetchall("SELECT 1 FROM weekly_reports WHERE week = ?", (week,))
        return bool(rows)

    async def reports(self, limit: int = 12) -> list[tuple[str, str]]:
        """(week, body) of the latest reports, newest first."""
        rows = await self._db.execute_fetchall(
            "SELECT week, body FROM weekly_reports ORDER BY week DESC LIMIT ?", (limit,))
        return [(r[0], r[1]) for r in rows]


# survey_answers on PostgreSQL: SQLite's json_each walks a list and yields a single answer as itself.
_ANSWERS_POSTGRESQL = (
    "SELECT j.value, count(*) FROM survey_responses s"
    " CROSS JOIN LATERAL (SELECT CAST(s.answers AS jsonb) -> CAST(? AS text) AS answer) a"
    " CROSS JOIN LATERAL (SELECT jsonb_array_elements_text(a.answer) AS value WHERE jsonb_typeof(a.answer) = 'array'"
    "                     UNION ALL SELECT a.answer #>> '{}' WHERE jsonb_typeof(a.answer) NOT IN ('array', 'null')) j"
    " WHERE s.survey_id = ? GROUP BY 1 ORDER BY 2 DESC")

# The same per wave, and the respondents with the average of numeric answers; the texts.
_ANSWER_OF = " CROSS JOIN LATERAL (SELECT CAST(s.answers AS jsonb) -> CAST(? AS text) AS answer) a"
_WAVE_ANSWERS_POSTGRESQL = (
    "SELECT s.wave, j.value, count(*) FROM survey_responses s" + _ANSWER_OF +
    " CROSS JOIN LATERAL (SELECT jsonb_array_elements_text(a.answer) AS value WHERE jsonb_typeof(a.answer) = 'array'"
    "                     UNION ALL SELECT a.answer #>> '{}' WHERE jsonb_typeof(a.answer) NOT IN ('array', 'null')) j"
    " WHERE s.survey_id = ? GROUP BY 1, 2")
_WAVE_RESPONDENTS_POSTGRESQL = (
    "SELECT s.wave, count(*), avg(CASE WHEN jsonb_typeof(a.answer) = 'number'"
    " THEN CAST(a.answer #>> '{}' AS double precision) END) FROM survey_responses s" + _ANSWER_OF +
    " WHERE s.survey_id = ? AND a.answer IS NOT NULL GROUP BY s.wave")
_WAVE_TEXTS_POSTGRESQL = (
    "SELECT wave, text FROM (SELECT s.wave, a.answer #>> '{}' AS text,"
    " row_number() OVER (PARTITION BY s.wave ORDER BY s.id DESC) AS place FROM survey_responses s" + _ANSWER_OF +
    " WHERE s.survey_id = ? AND jsonb_typeof(a.answer) = 'string') t WHERE place <= ? ORDER BY wave, place")
