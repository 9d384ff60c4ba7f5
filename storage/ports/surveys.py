"""Survey responses, answer by answer."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class FoundResponse:
    """A survey response whose text answers hold the words searched for."""
    id: int
    survey_key: str
    definition: dict[str, Any]
    channel: str
    completed_at: str | None
    text_answers: list[tuple[str, str]]  # (question key, answer), in the survey's order


@dataclass
class Response:
    id: int
    answers: dict[str, Any]
    current: str
    completed: bool


class SurveyStore(Protocol):
    """What Surveys offers (storage/surveys.py is the SQLite one)."""

    async def begin(self, survey_id: int, resident_id: int, channel: str, first: str) -> Response:
        """The resident's response, started now at ``first`` or as they left it."""

    async def save(self, response: Response) -> None: ...

    async def completed_count(self, survey_id: int) -> int: ...

    async def search(self, query: str, *, survey_id: int | None = None, limit: int = 50,
                     offset: int = 0) -> tuple[list[FoundResponse], int]:
        """Responses whose text answers hold every word of ``query`` in any form (by lemmas,
        ``storage.search``), newest first, and how many there are; '' finds none."""
