"""Moderation: finding proposals, their history, statuses, opinions, corrections, templates."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from typing import Protocol
from zoneinfo import ZoneInfo

from storage.statuses import ProposalStatus, Verdict

STATUSES = tuple(ProposalStatus)
VERDICTS = tuple(Verdict)

# A correction request's two names, shared by the panel that asks (admin/notices.py) and the
# conversation that takes the answer (handlers/corrections.py), so neither imports the other: the
# step an idle author is put into (``Moderation.await_correction``), and the prefix of the button
# that takes them there from anywhere else.
CORRECTION_STATE = "correction:text"
CORRECTION_BUTTON = "fix"


@dataclass(frozen=True)
class ProposalFilter:
    """What the panel's list and its exports filter by (``storage.moderation.filter_sql`` is
    the SQLite reading of it)."""

    status: str = ""          # '' = every status but spam
    category: str = ""
    channel: str = ""
    source: str = ""
    date_from: date | None = None
    date_to: date | None = None   # inclusive
    time_zone: str = "UTC"        # the town's (project.time_zone): a date is its calendar day there
    with_photo: bool = False
    with_location: bool = False
    awaiting_correction: bool = False  # only those whose author was asked to correct and has not yet
    search: str = ""

    def midnight(self, day: date) -> str:
        """The day's start in the town, as a stored (UTC) stamp: «2 December» in Chita begins at
        15:00 UTC on the 1st."""
        try:
            start = datetime.combine(day, time(), ZoneInfo(self.time_zone))
            return start.astimezone(timezone.utc).isoformat(timespec="microseconds")
        except OverflowError:  # the calendar's ends: before or after every stamp
            return "" if day.year == 1 else "9"


@dataclass(frozen=True)
class ListedProposal:
    id: int
    created_at: str
    channel: str
    source: str
    category: str
    status: str
    text: str
    photos: int
    has_location: bool
    awaiting_correction: bool  # its author was asked for a correction and has not sent it yet
    supports: int = 0  # residents who support it (proposal_supports)


@dataclass(frozen=True)
class ProposalEvent:
    at: str
    actor: str
    kind: str
    from_status: str
    to_status: str
    text: str


@dataclass(frozen=True)
class Opinion:
    user_id: int
    username: str
    verdict: str
    comment: str
    at: str


@dataclass(frozen=True)
class ProposalCard:
    id: int
    resident_id: int | None
    channel: str
    source: str
    category: str
    text: str
    address: str
    latitude: float | None
    longitude: float | None
    status: str
    status_reason: str
    duplicate_of: int | None
    point: str
    author_name: str
    author_contact: str
    author_phone: str
    author_consent_at: str | None
    entered_by: str
    created_at: str
    updated_at: str
    photos: list[tuple[str, str]] = field(default_factory=list)
    events: list[ProposalEvent] = field(default_factory=list)
    opinions: list[Opinion] = field(default_factory=list)
    open_question: str | None = None


@dataclass(frozen=True)
class Template:
    id: int
    title: str
    text: str


class ModerationStore(Protocol):
    """What Moderation offers (storage/moderation.py is the SQLite one)."""

    async def search(self, filters: ProposalFilter, limit: int,
                     offset: int = 0) -> tuple[list[ListedProposal], int]: ...

    async def facets(self) -> dict[str, list[str]]:
        """The channels and sources that occur, for the filter lists."""

    async def card(self, proposal_id: int) -> ProposalCard | None: ...

    async def statuses(self, ids: list[int]) -> dict[int, str]: ...

    async def existing(self, ids: list[int]) -> list[int]: ...

    async def event(self, proposal_id: int, actor: str, kind: str, text: str = "", *, from_status: str = "",
                    to_status: str = "") -> None: ...

    async def set_status(self, proposal_id: int, status: str, actor: str, *, reason: str = "",
                         duplicate_of: int | None = None) -> str | None:
        """Change the status and write it in the history; return the old status (None: no such
        proposal, or it already had this status)."""

    async def merge_photos(self, source_id: int, target_id: int) -> None:
        """A duplicate's photos join the proposal it duplicates (the duplicate keeps its own)."""

    async def give_opinion(self, proposal_id: int, user_id: int, username: str, verdict: str,
                           comment: str) -> None: ...

    async def ask_correction(self, proposal_id: int, question: str, actor: str) -> None:
        """A new question replaces an unanswered one: the author answers the latest."""

    async def open_question(self, proposal_id: int) -> str | None: ...

    async def open_questions_of(self, resident_id: int) -> list[int]:
        """The resident's proposals that wait for a corrected text, newest first."""

    async def correct(self, proposal_id: int, resident_id: int, text: str) -> bool:
        """The author's corrected text replaces the proposal's; the old text stays in the history."""

    async def templates(self) -> list[Template]: ...

    async def save_template(self, template_id: int | None, title: str, text: str) -> int: ...

    async def delete_template(self, template_id: int) -> None: ...

    async def record_entry(self, proposal_id: int, *, point: str, author_name: str, author_contact: str,
                           author_phone: str, consented: bool, operator: str) -> None:
        """Where the proposal was taken and who wrote it; the author's data only with their
        consent (the operator ticked it), whose time is kept with it."""

    async def phone_author(self, proposal_id: int) -> str | None:
        """The number of an operator-entered author who agreed to be told by SMS, or None."""

    async def author(self, proposal_id: int) -> tuple[int, str, str, str, str] | None:
        """(resident id, channel, external id, language, state) of the proposal's author, if known."""

    async def await_correction(self, resident_id: int, proposal_id: int, state: str) -> bool:
        """Make the author's next message the corrected text — only when they are at the main menu,
        so that a flow they are in the middle of is not cut short (the button serves then)."""
