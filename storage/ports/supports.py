"""Residents' support («поддержать») of others' proposals."""
from __future__ import annotations

from typing import Iterable, Protocol


class SupportStore(Protocol):
    """What Supports offers (storage/supports.py is the SQLite one)."""

    async def supportable(self, proposal_id: int, resident_id: int, statuses: Iterable[str]) -> bool:
        """Whether a resident may support the proposal: it exists, is public (one of
        ``statuses``) and is not their own."""

    async def add(self, proposal_id: int, resident_id: int) -> bool:
        """Record a support; False when the resident already supported this proposal."""

    async def count(self, proposal_id: int) -> int: ...

    async def of_resident(self, resident_id: int) -> list[int]: ...

    async def move(self, source_id: int, target_id: int) -> int:
        """A merged duplicate's supports go to the proposal it duplicates, and its author counts
        as one more supporter there (unless they wrote that one too); return how many the
        target gained."""
