"""Episode series and their episodes: the definitions from the content file, and whether each
episode has been announced.

A series is upserted by its key, an episode by (series, number); loading the file again updates
titles, links and air times but never the announcement columns, so an episode announced once
stays announced whatever the file says later. ``announced_at`` set means "settled": with a
``broadcast_id`` it was announced; without one it was skipped (missed for longer than the grace
period). Both marks are conditional updates (``… WHERE announced_at IS NULL``), so of two callers
only one can settle an episode.
"""
from __future__ import annotations

from storage.cache import ReadCache
from storage.clock import now
from storage.ports.episodes import CREATED_BY, EpisodeRow, StoredEpisode, StoredSeries
from storage.sql import SqlConnection

__all__ = [  # the values beside their port, as before they moved
    "Episodes", "CREATED_BY", "EpisodeRow", "StoredEpisode", "StoredSeries",
]

_SELECT = ("SELECT e.id, s.key, s.definition, s.topic, e.number, e.definition, e.air_at, e.announced_at,"
           " e.broadcast_id FROM episodes e JOIN series s ON s.id = e.series_id")


class Episodes:
    def __init__(self, connection: SqlConnection, cache: ReadCache | None = None) -> None:
        self._db = connection
        self._cache = cache or ReadCache(ttl=0)

    async def store(self, series: list[StoredSeries]) -> None:
        """Insert or update every series by key and every episode by (series, number)."""
        self._cache.clear()  # the main menu's "what is on" counts aired episodes
        stamp = now()
        for item in series:
            await self._db.execute(
                "INSERT INTO series (key, topic, definition, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET topic = excluded.topic, definition = excluded.definition,"
                " updated_at = excluded.updated_at", (item.key, item.topic, item.definition, stamp))
            for episode in item.episodes:
                await self._db.execute(
                    "INSERT INTO episodes (series_id, number, definition, air_at, updated_at)"
                    " VALUES ((SELECT id FROM series WHERE key = ?), ?, ?, ?, ?)"
                    " ON CONFLICT (series_id, number) DO UPDATE SET definition = excluded.definition,"
                    " air_at = excluded.air_at, updated_at = excluded.updated_at",
                    (item.key, episode.number, episode.definition, episode.air_at, stamp))

    async def unsettled(self) -> list[EpisodeRow]:
        """Episodes neither announced nor skipped, earliest air time first."""
        rows = await self._db.execute_fetchall(
            f"{_SELECT} WHERE e.announced_at IS NULL ORDER BY e.air_at, e.id")
        return [EpisodeRow(*row) for row in rows]

    async def get(self, episode_id: int) -> EpisodeRow | None:
        rows = await self._db.execute_fetchall(f"{_SELECT} WHERE e.id = ?", (episode_id,))
        return EpisodeRow(*rows[0]) if rows else None

    async def latest_aired(self, moment: str) -> EpisodeRow | None:
        """The episode that aired last by ``moment`` (UTC), announced or not, of any series."""
        rows = await self._db.execute_fetchall(
            f"{_SELECT} WHERE e.air_at <= ? ORDER BY e.air_at DESC, e.id DESC LIMIT 1", (moment,))
        return EpisodeRow(*rows[0]) if rows else None

    async def mark_announced(self, episode_id: int, broadcast_id: int) -> bool:
        """Settle the episode as announced by ``broadcast_id``; False when it was settled already."""
        cursor = await self._db.execute(
            "UPDATE episodes SET announced_at = ?, broadcast_id = ? WHERE id = ? AND announced_at IS NULL",
            (now(), broadcast_id, episode_id))
        return cursor.rowcount == 1

    async def skip(self, episode_id: int) -> bool:
        """Settle the episode as never to be announced; False when it was settled already."""
        cursor = await self._db.execute(
            "UPDATE episodes SET announced_at = ? WHERE id = ? AND announced_at IS NULL", (now(), episode_id))
        return cursor.rowcount == 1

    async def stray_drafts(self, made_before: str) -> list[int]:
        """Draft broadcasts made for an episode before ``made_before`` that no episode points to:
        left by a crash between making the draft and settling the episode."""
        rows = await self._db.execute_fetchall(
            "SELECT b.id FROM broadcasts b WHERE b.status = 'draft' AND b.created_by LIKE ? || '%'"
            " AND b.created_at < ? AND NOT EXISTS (SELECT 1 FROM episodes e WHERE e.broadcast_id = b.id)"
            " ORDER BY b.id", (CREATED_BY, made_before))
        return [row[0] for row in rows]
