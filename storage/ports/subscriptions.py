"""Subscriptions of residents to topics."""
from __future__ import annotations

from typing import Protocol


class SubscriptionStore(Protocol):
    """What Subscriptions offers (storage/subscriptions.py is the SQLite one)."""

    async def topics_of(self, resident_id: int) -> set[str]: ...

    async def subscribe(self, resident_id: int, topic: str) -> None: ...

    async def unsubscribe(self, resident_id: int, topic: str) -> None: ...

    async def unsubscribe_all(self, resident_id: int) -> int: ...

    async def subscribers(self, topic: str) -> list[tuple[str, str, str]]:
        """(channel, external id, language) of every reachable subscriber of ``topic``."""
