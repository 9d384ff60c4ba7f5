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


REMINDER_BY = "survey-wave:"  # created_by of a wave's reminder broadcast: survey-wave:<key>:<wave>


@dataclass
class Response:
    id: int
    answers: dict[str, Any]
    current: str
    completed: bool
    wave: int = 1


class SurveyStore(Protocol):
    """What Surveys offers (storage/surveys.py is the SQLite one)."""

    async def begin(self, survey_id: int, resident_id: int, channel: str, first: str, wave: int = 1) -> Response:
        """The resident's response to ``wave``, started now at ``first`` or as they left it."""

    async def answered(self, survey_id: int, wave: int, resident_id: int) -> bool:
        """Whether the resident completed that wave (without starting a response)."""

    async def save(self, response: Response) -> None: ...

    async def completed_count(self, survey_id: int, wave: int | None = None) -> int: ...

    async def wave_settled(self, survey_id: int, wave: int) -> bool: ...

    async def settle_wave(self, survey_id: int, wave: int, broadcast_id: int | None) -> bool:
        """Settle the wave's reminder as made by ``broadcast_id`` (None: never to be sent); False
        when it was settled already (of two callers only one wins)."""

    async def skip_answered(self, survey_id: int, wave: int, resident_id: int | None = None) -> int:
        """The wave's reminder is not sent to whoever completed that wave (one resident, or all of
        them): their pending deliveries of it are skipped. How many."""

    async def stray_reminder_drafts(self, made_before: str) -> list[int]:
        """Draft broadcasts made for a wave before ``made_before`` that no wave points to."""

    async def search(self, query: str, *, survey_id: int | None = None, limit: int = 50,
                     offset: int = 0) -> tuple[list[FoundResponse], int]:
        """Responses whose text answers hold every word of ``query`` in any form (by lemmas,
        ``storage.search``), newest first, and how many there are; '' finds none."""
