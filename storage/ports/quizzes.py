"""Quiz attempts and the leaderboard."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

LEADERBOARD_SIZE = 10


@dataclass(frozen=True)
class Attempt:
    id: int
    score: int
    answered: int
    finished: bool
    on_leaderboard: bool


class QuizStore(Protocol):
    """What Quizzes offers (storage/quizzes.py is the SQLite one)."""

    async def attempt(self, quiz_id: int, resident_id: int) -> Attempt | None: ...

    async def begin(self, quiz_id: int, resident_id: int) -> Attempt:
        """The resident's attempt: started now, or as they left it."""

    async def answer(self, attempt_id: int, question: int, correct: bool, last: bool) -> bool:
        """Record the answer to question ``question``; False when that question is not the
        one the attempt is at (already answered, or the attempt is finished)."""

    async def join_leaderboard(self, attempt_id: int, name: str) -> bool: ...

    async def leaderboard(self, quiz_id: int, size: int = LEADERBOARD_SIZE) -> list[tuple[str, int]]:
        """The best scores of those who opted in; among equal scores, who finished first."""
