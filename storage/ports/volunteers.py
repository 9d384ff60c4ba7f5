"""The port for «Присоединяйтесь»: residents and organisations who offered to help the project.

An offer is stored only with its own consent (``consent_at``); it is one per resident, replaced
when sent again, and goes when they leave or are forgotten.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class NewVolunteer:
    resident_id: int
    channel: str
    kind: str                    # storage.statuses.VolunteerKind
    name: str
    contact_kind: str            # storage.statuses.ContactKind
    contact: str                 # a phone (E.164) or an e-mail; '' for «write to me here»
    help: tuple[str, ...]        # keys of joining.help_options
    help_other: str              # «другое», in their words
    consent_at: str              # UTC


@dataclass(frozen=True)
class Volunteer:
    id: int
    resident_id: int
    channel: str
    kind: str
    name: str
    contact_kind: str
    contact: str
    help: tuple[str, ...]
    help_other: str
    consent_at: str
    joined_at: str
    updated_at: str
    external_id: str             # the resident's id in their channel (to write to them there)


@dataclass(frozen=True)
class VolunteerFilter:
    kind: str = ""
    help: str = ""
    channel: str = ""


@dataclass(frozen=True)
class JoinedCount:
    """How many joined, for the public page."""

    people: int
    organisations: int


class VolunteerStore(Protocol):
    async def join(self, volunteer: NewVolunteer) -> int:
        """Store the offer (or replace the resident's earlier one); its id."""

    async def of_resident(self, resident_id: int) -> Volunteer | None: ...

    async def leave(self, resident_id: int) -> bool:
        """Erase the resident's offer; False when there was none."""

    async def listed(self, where: VolunteerFilter, limit: int, offset: int = 0) -> tuple[list[Volunteer], int]:
        """A page of offers, newest first, and how many match in all."""

    def pages(self, where: VolunteerFilter, size: int) -> AsyncIterator[list[Volunteer]]:
        """Every matching offer, oldest first, ``size`` at a time (for exports)."""

    async def count_joined(self) -> JoinedCount:
        """People and organisations who joined (for the public page)."""
