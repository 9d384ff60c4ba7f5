"""What the exports read, page by page."""
from __future__ import annotations

from typing import Any, AsyncIterator, Protocol

from storage.ports.moderation import ProposalFilter

PAGE = 1000


PROPOSAL_COLUMNS = ("id", "created_at", "channel", "source", "category", "status", "text", "address",
                    "latitude", "longitude", "photos", "supports")


PROPOSAL_PERSONAL = ("resident_id", "author_name", "author_phone")


# In every proposal row as well: the key of the reception point an operator took it at ('' if none).
PROPOSAL_POINT = "reception_point"


RESIDENT_COLUMNS = ("id", "channel", "external_id", "display_name", "phone", "language", "first_source",
                    "reachable", "consent_at", "created_at")


class ExportStore(Protocol):
    """What Exports offers (storage/exports.py is the SQLite one)."""

    async def count_proposals(self, where: ProposalFilter) -> int: ...

    def proposals(self, where: ProposalFilter, personal: bool,
                      page: int = PAGE) -> AsyncIterator[list[dict[str, Any]]]:
        """Pages of proposals in id order, each row a dict of PROPOSAL_COLUMNS (+ personal ones)."""

    async def surveys(self) -> list[tuple[int, str, dict[str, Any]]]:
        """(id, key, definition) of every survey, for one sheet or file per survey."""

    def survey_responses(self, survey_id: int, personal: bool, page: int = PAGE,
                         wave: int | None = None) -> AsyncIterator[list[dict[str, Any]]]:
        """Pages of one survey's responses (of one wave, or of all): one dict per respondent
        with its answers decoded."""

    def residents(self, page: int = PAGE) -> AsyncIterator[list[dict[str, Any]]]:
        """Pages of residents: personal data through and through, for roles allowed to see it."""

    async def series(self) -> list[dict[str, Any]]:
        """Every episode series as its content-file item (key, title, topic, episodes with their
        air times in UTC), for the panel to show and edit in the same YAML as the file."""
