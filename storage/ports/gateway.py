"""The generic gateway's event ids and the fingerprints of their events."""
from __future__ import annotations

from typing import Protocol


class GatewayEventIdStore(Protocol):
    """What GatewayEventIds offers (storage/gateway.py is the SQLite one)."""

    async def claim(self, event_id: str, fingerprint: str) -> bool:
        """Take the id for this event; False when it was taken by an event with another fingerprint."""

    async def prune(self, before: str) -> int: ...
