"""The outbox: every reply a row, written in the transaction that produced it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Iterable, Protocol


@dataclass(frozen=True)
class OutboxRow:
    id: int
    channel: str
    external_id: str
    payload: str
    inbox_id: int | None = None  # the event it answers (set by ``pending``); None for notices


class OutboxStore(Protocol):
    """What Outbox offers (storage/outbox.py is the SQLite one)."""

    async def add_many(self, rows: list[tuple[str, str, int | None, str, bool]]) -> list[int]:
        """Append (channel, external id, inbox id, payload, delivered) rows; ids in the same order."""

    async def mark_sent(self, ids: Iterable[int]) -> None: ...

    async def mark_failed(self, ids: Iterable[int], error: str) -> None: ...

    async def pending(self, channel: str, limit: int = 500, written_before: str | None = None) -> list[OutboxRow]:
        """``channel``'s replies not sent yet, oldest first; with ``written_before`` (ISO 8601,
        UTC), only those written before it."""

    async def still_pending(self, ids: Iterable[int]) -> set[int]:
        """Which of ``ids`` are still not sent."""

    async def pending_by_channel(self) -> dict[str, int]:
        """How many replies wait to be sent, per channel (channels with none left out)."""

    async def for_recipient(self, channel: str, external_id: str, after: int,
                            limit: int = 100) -> list[OutboxRow]: ...

    async def for_inbox(self, inbox_id: int) -> list[OutboxRow]: ...

    async def delete_for_recipient(self, channel: str, external_id: str) -> int: ...

    async def erase_after_delivery(self, ids: Iterable[int], keep_for: timedelta) -> None:
        """Mark replies to a forgotten resident: delete them once delivered, at the latest
        after ``keep_for``."""

    async def erase_delivered(self, ids: Iterable[int]) -> int:
        """Delete those of ``ids`` that were marked to be erased (they have just been delivered,
        or have failed for good)."""

    async def erase_expired(self, moment: str) -> int:
        """Delete every reply marked to be erased whose time has come, delivered or not."""
