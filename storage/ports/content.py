"""The port for content definitions: polls, quizzes, surveys and contests as stored documents.

Each is kept as its whole definition (JSON, as loaded from a content file or edited by staff)
with the times that queries need beside it; storage knows nothing of the content models.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class ContentKind(StrEnum):
    """What a stored definition is. The values are the words used in locale keys, menu
    payloads and the panel's addresses ("polls.list_prompt", "/content/polls")."""

    POLLS = "polls"
    QUIZZES = "quizzes"
    SURVEYS = "surveys"
    CONTESTS = "contests"


# The times (UTC, ISO text, so that comparing the text compares the moments) each kind keeps.
TIME_COLUMNS: dict[ContentKind, tuple[str, ...]] = {
    ContentKind.POLLS: ("opens_at", "closes_at"),
    ContentKind.QUIZZES: ("opens_at", "closes_at"),
    ContentKind.SURVEYS: ("opens_at", "closes_at"),
    ContentKind.CONTESTS: ("opens_at", "closes_at", "voting_opens_at", "voting_closes_at"),
}


@dataclass(frozen=True)
class StoredItem:
    kind: ContentKind
    key: str
    definition: str
    times: dict[str, str]
    extra: dict[str, str] = field(default_factory=dict)  # e.g. a poll's kind


class ContentStore(Protocol):
    """Definitions by kind and key; ids are what ballots, attempts, responses and entries
    refer to."""

    async def store(self, items: Sequence[StoredItem]) -> None:
        """Insert or update every item by kind and key; an item whose times do not fit its
        kind is refused (ValueError)."""

    async def get(self, kind: ContentKind, key: str) -> tuple[int, str] | None:
        """(id, definition) of ``key``, or None."""

    async def definition(self, kind: ContentKind, item_id: int) -> str | None:
        """The definition stored under ``item_id``, or None."""

    async def all(self, kind: ContentKind) -> list[str]:
        """Every definition of ``kind``, in the order they were first stored."""

    async def open_at(self, kind: ContentKind, moment: str) -> list[str]:
        """Definitions open at ``moment`` (for contests: taking entries or voting)."""

    async def open_counts(self, moment: str) -> dict[str, int]:
        """How many of each kind are open at ``moment``, and how many episodes have aired."""

    async def polls_to_announce(self, moment: str) -> list[str]:
        """Keys of polls closed by ``moment`` whose results were not yet sent."""

    async def mark_poll_announced(self, key: str) -> bool:
        """Note that the poll's results went out; False when they already had."""

    async def contests_voted(self, moment: str, limit: int = 5) -> list[str]:
        """Definitions of contests whose voting closed by ``moment``, the latest first."""
