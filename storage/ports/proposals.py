"""Residents' proposals as the conversation makes and lists them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence


@dataclass(frozen=True)
class NewProposal:
    resident_id: int | None
    channel: str
    source: str | None
    category: str
    text: str
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    photos: Sequence[tuple[str, str]] = ()  # (file_key, mime_type)


@dataclass(frozen=True)
class ProposalSummary:
    id: int
    category: str
    text: str
    status: str
    created_at: str
    photos: int
    has_location: bool


class ProposalStore(Protocol):
    """What Proposals offers (storage/proposals.py is the SQLite one)."""

    async def create(self, proposal: NewProposal) -> int: ...

    async def of_resident(self, resident_id: int, limit: int) -> list[ProposalSummary]: ...

    async def count_of_resident(self, resident_id: int) -> int: ...

    async def attachments(self, proposal_id: int) -> list[tuple[str, str]]: ...

    async def disown(self, resident_id: int) -> int:
        """Keep the ideas, drop the link to their author (used when a resident forgets)."""
