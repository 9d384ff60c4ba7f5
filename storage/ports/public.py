"""What the public page and the open-data feed read, and the one switch staff use to publish.

Everything here is already public: a proposal staff marked public (never spam or a merged
duplicate), with the text staff approved for it, without its author, channel, source or
anything that leads to a person; the results of polls whose results were announced; the episodes
aired so far. ``revision`` is a cheap stamp of all of it, for the page's ETag.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from storage.ports.contests import Standing
from storage.ports.polls import Tally


@dataclass(frozen=True)
class PublicFilter:
    """The page's and the feed's filters; '' is any. Values come from the query string, so a
    made-up one matches nothing (it is a parameter, never SQL)."""

    category: str = ""
    status: str = ""


@dataclass(frozen=True)
class PublicProposal:
    id: int
    category: str
    status: str
    text: str         # as staff approved it for the public (names, phones and e-mail taken out)
    address: str
    latitude: float | None
    longitude: float | None
    answer: str       # the staff's public answer ('' = none)
    created_at: str   # UTC, ISO 8601
    updated_at: str
    supports: int     # residents who support it


@dataclass(frozen=True)
class Publication:
    """A proposal's public side as staff set it."""

    public: bool
    text: str     # the text shown, as staff approved it ('' while not public)
    answer: str


@dataclass(frozen=True)
class PublishedPoll:
    key: str
    definition: str   # JSON, as the content file gave it
    closes_at: str
    tally: Tally


@dataclass(frozen=True)
class MapPoll:
    """A poll whose options are places, open now or with its results announced."""

    key: str
    definition: str   # JSON: the options carry their GeoJSON geometry
    announced: bool   # results announced: the page shows the votes per place
    tally: Tally


@dataclass(frozen=True)
class PublishedContest:
    """A contest whose results staff announced: its works by number, age group and votes (never
    an author: children's names stay in the panel)."""

    key: str
    definition: str   # JSON, as the content file gave it
    standings: list[Standing]


@dataclass(frozen=True)
class AiredEpisode:
    series_definition: str  # JSON: key, title, topic
    number: int
    definition: str         # JSON: title, description, video_url, file_key
    air_at: str


class PublicStore(Protocol):
    """What Public offers (storage/public.py is the SQLite one)."""

    async def revision(self, moment: str) -> str:
        """A stamp that changes whenever anything the page shows may have changed (a proposal, a
        published result, an episode aired by ``moment``), read without scanning the tables."""

    async def proposals(self, filters: PublicFilter, limit: int, offset: int = 0,
                        located_only: bool = False) -> tuple[list[PublicProposal], int]:
        """Public proposals, newest first, and how many match in all."""

    async def map_polls(self, moment: str) -> list[MapPoll]:
        """Polls with places among their options, open at ``moment`` or with results announced."""

    async def published_contests(self) -> list[PublishedContest]:
        """Contests whose results were announced, the latest first."""

    async def published_polls(self) -> list[PublishedPoll]:
        """Polls whose results were announced, the latest closed first."""

    async def aired_episodes(self, moment: str) -> list[AiredEpisode]:
        """Episodes aired by ``moment``, by series and number."""

    async def publication(self, proposal_id: int) -> Publication | None: ...

    async def publish(self, proposal_id: int, public: bool, text: str, answer: str) -> bool:
        """Show the proposal on the public page with this text and answer, or hide it (the text
        is then dropped); False when there is no such proposal or nothing changed. A later change
        of the author's text hides it again until staff publish it anew."""
