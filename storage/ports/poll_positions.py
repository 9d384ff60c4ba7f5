"""Where a long poll has stored up to, per channel and key (VK's ``ts`` per community)."""
from __future__ import annotations

from typing import Protocol


class PollPositionStore(Protocol):
    """What PollPositionRecords offers (storage/poll_positions.py)."""

    async def get(self, channel: str, key: str) -> str | None:
        """The position saved last, or None when none was."""

    async def put(self, channel: str, key: str, value: str) -> None:
        """The position from now on, in place of the one before."""
