"""Quiz attempts: one per resident per quiz (a UNIQUE constraint), progress saved per answer.

The attempt row is the truth about where a resident is in a quiz: ``answered`` is the index of
the next question, so leaving, coming back or a restart resumes exactly there. An answer counts
only if it is the answer to the question the row expects (``answered = ?``), so a replayed or
doubled press can never count twice.
"""
from __future__ import annotations

from storage.clock import now
from storage.ports.quizzes import LEADERBOARD_SIZE, Attempt
from storage.sql import SqlConnection


class Quizzes:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    async def attempt(self, quiz_id: int, resident_id: int) -> Attempt | None:
        rows = await self._db.execute_fetchall(
            "SELECT id, score, answered, finished_at IS NOT NULL, on_leaderboard FROM quiz_attempts"
            " WHERE quiz_id = ? AND resident_id = ?", (quiz_id, resident_id))
        return Attempt(rows[0][0], rows[0][1], rows[0][2], bool(rows[0][3]), bool(rows[0][4])) if rows else None

    async def begin(self, quiz_id: int, resident_id: int) -> Attempt:
        """The resident's attempt: started now, or as they left it."""
        await self._db.execute(
            "INSERT INTO quiz_attempts (quiz_id, resident_id, started_at) VALUES (?, ?, ?)"
            " ON CONFLICT (quiz_id, resident_id) DO NOTHING", (quiz_id, resident_id, now()))
        found = await self.attempt(quiz_id, resident_id)
        assert found is not None
        return found

    async def answer(self, attempt_id: int, question: int, correct: bool, last: bool) -> bool:
        """Record the answer to question ``question``; False when that question is not the
        one the attempt is at (already answered, or the attempt is finished)."""
        cursor = await self._db.execute(
            "UPDATE quiz_attempts SET answered = answered + 1, score = score + ?,"
            " finished_at = CASE WHEN ? = 1 THEN ? END"
            " WHERE id = ? AND answered = ? AND finished_at IS NULL",
            (int(correct), last, now(), attempt_id, question))
        return cursor.rowcount == 1

    async def join_leaderboard(self, attempt_id: int, name: str) -> bool:
        cursor = await self._db.execute(
            "UPDATE quiz_attempts SET on_leaderboard = 1, leaderboard_name = ?"
            " WHERE id = ? AND finished_at IS NOT NULL", (name, attempt_id))
        return cursor.rowcount == 1

    async def leaderboard(self, quiz_id: int, size: int = LEADERBOARD_SIZE) -> list[tuple[str, int]]:
        """The best scores of those who opted in; among equal scores, who finished first."""
        rows = await self._db.execute_fetchall(
            "SELECT leaderboard_name, score FROM quiz_attempts WHERE quiz_id = ? AND on_leaderboard = 1"
            " ORDER BY score DESC, finished_at, id LIMIT ?", (quiz_id, size))
        return [(row[0], row[1]) for row in rows]
