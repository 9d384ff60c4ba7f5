"""WhatsApp's own records, as the housekeeping sees them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Receipt:
    message_id: str
    status: str
    recipient_id: str
    at: str
    error_code: int | None = None
    error_title: str = ""


class WhatsappHousekeepingStore(Protocol):
    """The part of the WhatsApp tables the bot's housekeeping looks after."""

    async def forget_orphans(self, before: str) -> int: ...
