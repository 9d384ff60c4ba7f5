"""Leases: which bot process of the cluster does a piece of work that must run once at a time."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Lease:
    """A lease as held: by whom, since when, until when (ISO 8601, UTC)."""

    name: str
    holder: str
    taken_at: str
    expires_at: str


class LeaseStore(Protocol):
    """What Leases offers (storage/leases.py is the SQLite one). Time is the caller's clock
    (``storage.clock``), so processes on several machines need their clocks in step (NTP)."""

    async def acquire(self, name: str, holder: str, ttl: float) -> bool:
        """Take the lease for ``ttl`` seconds from now if it is free or expired, or renew it if
        ``holder`` holds it; False when another holder's lease has not expired. One statement,
        so two processes racing for it cannot both win."""

    async def release(self, name: str, holder: str) -> bool:
        """Give the lease up at once (a clean stop), if ``holder`` still holds it."""

    async def holder(self, name: str) -> Lease | None:
        """The lease on ``name`` while it has not expired; None when it is free."""
