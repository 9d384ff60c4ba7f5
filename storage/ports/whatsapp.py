"""WhatsApp's own records: the customer-service window per number and the delivery receipts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from storage.statuses import WhatsAppStatus


@dataclass(frozen=True)
class Receipt:
    message_id: str
    status: WhatsAppStatus
    recipient_id: str
    at: str
    error_code: int | None = None
    error_title: str = ""


class WhatsappStore(Protocol):
    """The WhatsApp tables, inside a transaction or over committed data."""

    async def touch_window(self, wa_id: str, at: str | None = None) -> None:
        """The resident wrote to us: the window is open for another 24 hours from ``at``."""

    async def window_open(self, wa_id: str, hours: float) -> bool:
        """Whether the number wrote to us less than ``hours`` ago."""

    async def count_skipped(self, wa_id: str) -> None:
        """One more broadcast not sent to the number (outside its window, no template)."""

    async def record_receipt(self, receipt: Receipt) -> None:
        """Keep a receipt for a number a resident has (one forgotten meanwhile gets none)."""

    async def forget_orphans(self, before: str) -> int:
        """Delete what is kept about numbers no resident has any more; how many rows went."""
