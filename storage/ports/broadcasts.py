"""Broadcasts and their per-recipient deliveries."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable, Protocol, Sequence

from storage.statuses import DeliveryStatus

STATUSES = tuple(DeliveryStatus)


class AudienceFilter(Protocol):
    """What ``broadcasts.audience.Audience`` is to storage (storage imports nothing above it)."""

    topic: str | None
    channels: Sequence[str]
    languages: Sequence[str]
    source: str | None
    poll: str | None
    and_entrants_of: str | None

    def model_dump_json(self) -> str: ...


@dataclass(frozen=True)
class BroadcastRow:
    id: int
    title: str
    texts: dict[str, str]
    buttons: list[list[dict[str, Any]]]
    media: list[dict[str, Any]]
    audience: dict[str, Any]
    topic: str | None
    status: str
    send_at: str | None
    recipients: int
    created_by: str
    created_at: str
    started_at: str | None
    finished_at: str | None

    @classmethod
    def from_row(cls, row: Any) -> "BroadcastRow":
        values = dict(row)
        for name in ("texts", "buttons", "media", "audience"):
            values[name] = json.loads(values[name])
        return cls(**values)


@dataclass(frozen=True)
class Claimed:
    """A delivery a sender has marked 'sending'."""

    id: int
    broadcast_id: int
    resident_id: int | None      # None: the resident was forgotten after the broadcast was made
    channel: str
    external_id: str
    language: str
    name: str
    attempts: int
    reply: str | None = None     # a message of its own (a digest), as JSON; None: the broadcast's texts


@dataclass(frozen=True)
class PersonalMessage:
    """One recipient of a broadcast whose message differs for each (``create_personal``)."""

    resident_id: int
    channel: str
    external_id: str
    language: str
    reply: str                   # the neutral reply (bot.core.replies.Reply) as JSON


class BroadcastStore(Protocol):
    """What Broadcasts offers (storage/broadcasts.py is the SQLite one)."""

    async def count_audience(self, audience: AudienceFilter) -> int: ...

    async def count_by_channel(self, audience: AudienceFilter) -> dict[str, int]: ...

    async def create(self, *, title: str, texts: dict[str, str], buttons: list[list[dict[str, Any]]],
                     media: list[dict[str, Any]], audience: AudienceFilter, topic: str | None, status: str,
                     send_at: str | None, created_by: str) -> tuple[int, int]:
        """The broadcast and one pending delivery per recipient, in resident order."""

    async def create_personal(self, *, title: str, texts: dict[str, str], created_by: str,
                              messages: Sequence[PersonalMessage]) -> int:
        """A broadcast already sending, with one pending delivery per message, each carrying its
        own reply: sent by the same senders, at the same pace, as any broadcast."""

    async def get(self, broadcast_id: int) -> BroadcastRow | None: ...

    async def recent(self, limit: int = 20) -> list[BroadcastRow]: ...

    async def counts(self, broadcast_id: int) -> dict[str, int]:
        """Deliveries by status (every status present, zeros included)."""

    async def statuses(self, broadcast_ids: Iterable[int]) -> dict[int, str]: ...

    async def set_status(self, broadcast_id: int, status: str, allowed_from: Sequence[str]) -> bool:
        """Move to ``status`` if the broadcast is in one of ``allowed_from``; False otherwise."""

    async def skip_pending(self, broadcast_id: int) -> int: ...

    async def start_due(self, moment: str) -> list[int]:
        """Scheduled broadcasts whose time has come start sending."""

    async def anything_to_tick(self, moment: str) -> bool:
        """Whether a scheduled broadcast is due or one is sending (else the tick writes nothing)."""

    async def finish_done(self) -> list[int]:
        """Broadcasts with nothing pending or in flight any more are done."""

    async def sending_ids(self) -> list[int]: ...

    async def has_due(self, channel: str, moment: str) -> bool:
        """Whether a sending broadcast has a delivery on ``channel`` that may be claimed now."""

    async def pending_by_channel(self) -> dict[str, int]:
        """Deliveries waiting to be sent (pending, or claimed and not yet recorded) of broadcasts
        scheduled, sending or paused, per channel; channels with none left out."""

    async def claim(self, channel: str, limit: int, moment: str) -> list[Claimed]:
        """Mark up to ``limit`` due pending deliveries on ``channel`` 'sending', oldest broadcast
        first and in id order within it; return them in that order."""

    async def record(self, outcomes: Iterable[tuple[int, str, str | None, str | None, int]]) -> int:
        """Write (delivery id, status, not_before, error, attempts) outcomes of rows marked
        'sending', in one statement. The name copied for rendering is cleared once it is no
        longer needed."""

    async def release(self, delivery_ids: Iterable[int]) -> None:
        """Claimed rows not sent (the broadcast was paused or cancelled, or the bot is stopping)
        go back: pending, or skipped when their broadcast was cancelled."""

    async def release_in_flight(self, channel: str | None = None) -> int:
        """When a sender takes a channel over (at start, or from a process that died): rows of
        ``channel`` (of every channel when None) still 'sending' were in flight when the last
        sender stopped or crashed; they go back to pending and are sent again (the documented
        bound on duplicates)."""

    async def forget_unreachable(self, resident_ids: Iterable[int]) -> None:
        """A permanent failure: the resident cannot be written to; they leave every topic."""
