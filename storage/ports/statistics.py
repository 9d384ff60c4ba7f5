"""Counts for the panel's statistics and the weekly report."""
from __future__ import annotations

from dataclasses import dataclass
from typing import AsyncIterator, Protocol


@dataclass(frozen=True)
class Reach:
    """Residents of one channel or source: how many, how many subscribe, how many we can reach."""

    key: str
    residents: int
    consented: int
    subscribers: int
    reachable: int


@dataclass(frozen=True)
class WaveAnswers:
    """One question's answers in one wave of a survey."""

    respondents: int               # responses that answer the question
    average: float | None          # of its numbers (a scale, a number), else None
    counts: dict[str, int]         # answer (an option's key, a scale's number) → how often given


class StatisticsStore(Protocol):
    """What Statistics offers (storage/statistics.py is the SQLite one)."""

    async def reach_by_channel(self) -> list[Reach]: ...

    async def reach_by_source(self) -> list[Reach]: ...

    async def proposals_by(self, column: str, since: str = "", until: str = "9") -> list[tuple[str, int]]:
        """(key, proposals) per channel, source or reception point, spam left out, most first."""

    async def proposals_by_week(self, since: str = "", offset_minutes: int = 0) -> list[tuple[str, int]]:
        """(Monday of the week as YYYY-MM-DD, proposals) in time order; weeks of the town's
        calendar, ``offset_minutes`` east of UTC."""

    async def proposals_by_category(self, since: str = "", until: str = "9") -> list[tuple[str, int]]: ...

    async def proposals_by_status(self) -> list[tuple[str, int]]: ...

    async def new_residents(self, since: str, until: str = "9") -> int: ...

    async def polls(self) -> list[tuple[str, str]]:
        """(key, definition JSON) of every poll, newest first."""

    async def poll_tally(self, key: str) -> tuple[int, dict[str, tuple[int, int]]]:
        """(ballots, {option: (times chosen, sum of scores)}) of one poll."""

    async def surveys(self) -> list[tuple[int, str, str]]: ...

    async def survey_counts(self, survey_id: int) -> tuple[int, int]:
        """(responses started, responses completed)."""

    async def survey_answers(self, survey_id: int, question: str) -> dict[str, int]:
        """How often each answer was given to one question; a multiple-choice list counts each
        of its options (json_each walks a list, and yields a single answer as itself)."""

    async def survey_wave_counts(self, survey_id: int) -> dict[int, tuple[int, int]]:
        """wave → (responses started, responses completed)."""

    async def survey_wave_answers(self, survey_id: int, question: str) -> dict[int, WaveAnswers]:
        """Per wave, one question's answers: how often each was given (a multiple-choice list
        counts each option), how many respondents answered it, and the average of its numbers."""

    async def survey_wave_texts(self, survey_id: int, question: str, limit: int) -> dict[int, list[str]]:
        """Per wave, the newest ``limit`` text answers to one question."""

    def proposal_texts(self, since: str = "", until: str = "9",
                           page: int = 2000) -> AsyncIterator[list[str]]:
        """Pages of proposal texts (hidden spam left out) for the tag cloud."""

    async def add_report(self, week: str, body: str) -> bool:
        """Keep a week's report; False when that week has one already (nothing is changed)."""

    async def has_report(self, week: str) -> bool: ...

    async def reports(self, limit: int = 12) -> list[tuple[str, str]]:
        """(week, body) of the latest reports, newest first."""
