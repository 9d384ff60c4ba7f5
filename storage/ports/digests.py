"""The port for reporting back: what became of each resident's proposals, and when they were told.

A digest tells an author of the staff's steps on their proposals (status changes and answers in
``proposal_events``) after the last event they were told of; the mark (``told_up_to``, ``sent_at``)
is written in the transaction that queues the digest, so a restart never sends it twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class DigestRecipient:
    """An author with news since their last digest."""

    resident_id: int
    channel: str
    external_id: str
    language: str
    told_up_to: int          # the last proposal_events id they were told of (0: none yet)


@dataclass(frozen=True)
class ProposalNews:
    """What became of one proposal: its status now, and the staff's latest answer, if any."""

    proposal_id: int
    category: str
    text: str
    status: str
    answer: str              # the latest answer to the author ('' when none)
    changed: bool            # its status changed in the period told of
    last_event: int          # the newest event of the period told of (0 when none)


class DigestStore(Protocol):
    async def due(self, sent_before: str, after: int, limit: int) -> list[DigestRecipient]:
        """Authors with consent who can be written to, whose proposals (not hidden as spam) had a
        status change or an answer by staff after their mark, and whose last digest was made
        before ``sent_before`` (UTC) or never; at most ``limit``, in resident order from the
        resident after id ``after``."""

    async def news(self, resident_id: int, after_event: int) -> list[ProposalNews]:
        """The resident's proposals with a status change or an answer after event ``after_event``
        (not hidden as spam), newest proposal first."""

    async def outcomes(self, resident_id: int, limit: int, offset: int = 0) -> list[ProposalNews]:
        """All the resident's proposals with their status now and latest answer, newest first."""

    async def count_proposals(self, resident_id: int) -> int: ...

    async def mark(self, resident_id: int, told_up_to: int, sent_at: str) -> None:
        """Note that the resident was told of everything up to event ``told_up_to``."""

    async def last_sent(self, resident_id: int) -> str | None:
        """When the resident's last digest was made (UTC), or None."""
