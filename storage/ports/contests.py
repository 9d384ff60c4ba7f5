"""Contest entries, their moderation and the public vote."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from storage.statuses import WorkStatus

VoteOutcome = Literal["cast", "already", "not_votable"]


@dataclass(frozen=True)
class Entry:
    id: int
    category: str
    age_group: str
    text: str
    file_key: str
    status: str


@dataclass(frozen=True)
class Standing:
    entry: Entry
    votes: int


@dataclass(frozen=True)
class Submission:
    """A work as staff moderate it: what the author sent, and what was decided."""

    id: int
    contest_id: int
    category: str
    age_group: str
    text: str
    file_key: str
    status: str
    channel: str
    created_at: str
    moderated_at: str | None
    moderation_reason: str
    moderated_by: str


@dataclass(frozen=True)
class ContestCounts:
    id: int
    key: str
    definition: str
    pending: int
    approved: int
    rejected: int


STATUSES = tuple(WorkStatus)


class ContestStore(Protocol):
    """What Contests offers (storage/contests.py is the SQLite one)."""

    async def submit(self, contest_id: int, resident_id: int, channel: str, category: str, age_group: str,
                     text: str, file_key: str) -> int: ...

    async def entry(self, entry_id: int) -> Entry | None: ...

    async def decide(self, entry_id: int, status: str, reason: str = "", actor: str = "") -> str | None:
        """Approve or reject a work (``status``), with the reason and who decided; return its
        status before (None: no such work, or it had this status already, so nothing changed
        and nobody is told twice)."""

    async def submission(self, entry_id: int) -> Submission | None: ...

    async def submissions(self, contest_id: int, status: str, offset: int = 0,
                          limit: int = 50) -> list[Submission]:
        """A contest's works in one status, for staff: the waiting ones oldest first (in the order
        they came), the decided ones latest decision first."""

    async def overview(self) -> list[ContestCounts]:
        """Every stored contest with how many of its works wait, were approved, were rejected."""

    async def author(self, entry_id: int) -> tuple[str, str, str] | None:
        """(channel, external id, language) of the work's author, or None when they are gone
        (forgotten: resident_id was cleared) or cannot be written to."""

    async def holds_photo(self, file_key: str) -> bool:
        """Whether ``file_key`` is the photo of some contest work (the panel shows only those)."""

    async def approved(self, contest_id: int, category: str, offset: int = 0,
                       limit: int = 10) -> list[Entry]: ...

    async def vote(self, contest_id: int, entry_id: int, category: str, voter_key: str,
                   resident_id: int) -> VoteOutcome:
        """Vote for an approved entry of ``category`` in this contest; anything else is refused."""

    async def votes_of(self, contest_id: int, voter_key: str) -> dict[str, int]:
        """Category → the entry this voter chose."""

    async def results(self, contest_id: int) -> list[Standing]:
        """Approved entries with their votes, by category, the most voted first."""

    async def results_announced(self, contest_key: str) -> None:
        """Staff sent the contest's results: the public page shows them from now on (the first
        announcement's moment is kept)."""

    async def search(self, query: str, *, contest_id: int | None = None, status: str | None = None,
                     limit: int = 50, offset: int = 0) -> tuple[list[Entry], int]:
        """Works whose text holds every word of ``query`` in any form (by lemmas,
        ``storage.search``), optionally of one contest and status, newest first, and how many
        there are. An empty ``query`` filters nothing: every work of that contest and status."""
