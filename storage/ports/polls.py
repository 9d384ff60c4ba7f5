"""Ballots: one vote per resident (or voter key) and poll."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

Outcome = Literal["cast", "changed", "already"]


@dataclass(frozen=True)
class Tally:
    voters: int
    counts: dict[str, int]   # option → ballots naming it
    points: dict[str, int]   # option → sum of scores (scores) or of Borda points (top-3)


class PollStore(Protocol):
    """What Polls offers (storage/polls.py is the SQLite one)."""

    async def cast(self, poll_id: int, voter_key: str, resident_id: int | None, channel: str,
                   choices: list[tuple[str, int]], allow_change: bool) -> Outcome: ...

    async def ballot(self, poll_id: int, voter_key: str) -> list[tuple[str, int]] | None: ...

    async def tally(self, poll_id: int) -> Tally: ...

    async def voters(self, poll_id: int) -> list[tuple[str, str, str]]:
        """(channel, external id, language) of every resident who voted in the poll and can be
        written to (consent given and kept, reachable): they get its results."""
