"""Series of episodes and their announcements."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class StoredEpisode:
    number: int
    definition: str  # JSON: title, description, video_url, file_key
    air_at: str      # UTC, ISO 8601


@dataclass(frozen=True)
class StoredSeries:
    key: str
    topic: str
    definition: str  # JSON: the series' key, title and topic
    episodes: tuple[StoredEpisode, ...]


@dataclass(frozen=True)
class EpisodeRow:
    id: int
    series_key: str
    series_definition: str
    topic: str
    number: int
    definition: str
    air_at: str
    announced_at: str | None
    broadcast_id: int | None


# A broadcast created for an episode carries this prefix in ``created_by`` (see broadcasts.episodes).
CREATED_BY = "episode:"


class EpisodeStore(Protocol):
    """What Episodes offers (storage/episodes.py is the SQLite one)."""

    async def store(self, series: list[StoredSeries]) -> None:
        """Insert or update every series by key and every episode by (series, number)."""

    async def unsettled(self) -> list[EpisodeRow]:
        """Episodes neither announced nor skipped, earliest air time first."""

    async def get(self, episode_id: int) -> EpisodeRow | None: ...

    async def latest_aired(self, moment: str) -> EpisodeRow | None:
        """The episode that aired last by ``moment`` (UTC), announced or not, of any series."""

    async def mark_announced(self, episode_id: int, broadcast_id: int) -> bool:
        """Settle the episode as announced by ``broadcast_id``; False when it was settled already."""

    async def skip(self, episode_id: int) -> bool:
        """Settle the episode as never to be announced; False when it was settled already."""

    async def stray_drafts(self, made_before: str) -> list[int]:
        """Draft broadcasts made for an episode before ``made_before`` that no episode points to:
        left by a crash between making the draft and settling the episode."""
