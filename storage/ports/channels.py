"""What a channel may ask of storage: a few operations, each in its own commit, and no database.

The application hands every channel one object that implements all of these
(``storage.channel_storage.ChannelStorage``, on SQLite or PostgreSQL); a channel types it by the one
protocol it uses, so that what the web chat, the gateway, WhatsApp or VK's long poll can reach is
written in one place.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from storage.ports.outbox import OutboxRow
from storage.ports.whatsapp import Receipt


class GatewayEventIds(Protocol):
    """The generic gateway's idempotency keys (docs/gateway.md)."""

    async def claim_event_id(self, event_id: str, fingerprint: str) -> bool:
        """Take ``event_id`` for the event with ``fingerprint``, committed at once; False when the
        id was taken by an event with another fingerprint (a retry of the same event is True)."""


class PulledReplies(Protocol):
    """Replies that the resident's own client fetches (the web chat page): outbox rows written as
    delivered, read back by id."""

    async def post(self, channel: str, replies: Sequence[tuple[str, str]]) -> list[int]:
        """Write (external id, payload) rows in one commit; their ids, in the order given."""

    async def after(self, channel: str, external_id: str, after: int) -> list[OutboxRow]:
        """Committed replies to one resident with ids above ``after``, oldest first."""


class WhatsappWindows(Protocol):
    """WhatsApp's customer-service window per number, and the delivery receipts."""

    async def note_webhook(self, windows: Mapping[str, str], receipts: Sequence[Receipt]) -> None:
        """In one commit: each number (wa_id) wrote to us at the moment given, and the receipts."""

    async def window_open(self, wa_id: str, hours: float) -> bool:
        """Whether the number wrote to us less than ``hours`` ago (committed data)."""

    async def count_skipped(self, wa_id: str) -> None:
        """One more broadcast not sent to the number, committed at once."""


class PollPositions(Protocol):
    """Where a long poll that the platform does not remember for us has stored up to (VK's Bots
    Long Poll ``ts``), per channel and key (the VK community). In the database, so that the
    process that takes the poll over, on whichever machine, goes on from there."""

    async def position(self, channel: str, key: str) -> str | None:
        """The position saved last (committed data), or None when none was."""

    async def save_position(self, channel: str, key: str, value: str) -> None:
        """Replace the position, committed at once."""


class ChannelStorage(GatewayEventIds, PulledReplies, WhatsappWindows, PollPositions, Protocol):
    """Everything the channels together may ask of storage: what the application hands each."""
