"""Similar proposals, offered to residents and shown to moderators."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol


@dataclass(frozen=True)
class SimilarProposal:
    id: int
    text: str
    status: str
    score: float
    supports: int


class SimilarProposalIndex(Protocol):
    """What SimilarProposals offers (storage/similar_proposals.py is the SQLite one)."""

    async def refresh(self) -> None:
        """Take into the index what changed since the last look."""

    async def for_resident(self, text: str, resident_id: int | None, *, statuses: Iterable[str], limit: int,
                           threshold: float) -> list[SimilarProposal]:
        """The public proposals most like ``text``, not the resident's own."""

    async def for_moderator(self, proposal_id: int, *, limit: int, threshold: float) -> list[SimilarProposal]:
        """The likely duplicates of a proposal (by its own words), best first."""

    async def public(self, ids: Iterable[int], statuses: Iterable[str]) -> list[SimilarProposal]:
        """The proposals offered earlier, as they are now, still public, in the same order (a
        draft keeps only their numbers: their texts are read when shown)."""
