"""Episodes announced at their air time, once, to the subscribers of their series' topic.

**Where the schedule lives.** The episodes, their air times and whether each is settled are rows
in SQLite (``storage.episodes``); APScheduler's date jobs are only derived from them, so nothing
is lost with the process. ``EpisodeAnnouncer.check`` runs at start and then every
``episodes.check_every_seconds`` (that is how a content file loaded while the bot runs gets
scheduled) and, for every episode not yet settled:

- air time ahead: a date job at that moment (set again when the file moves the episode);
- air time passed at most ``episodes.grace_hours`` ago (missed while the bot was down, or
  loaded late): announced now;
- air time passed longer ago: skipped, i.e. settled without a broadcast, never sent late.

**Never twice.** The broadcast is made by ``broadcasts.outbox.create``, which writes the broadcast
and its delivery rows in a transaction of its own, so it cannot share ours. We therefore:

1. create the broadcast as a *draft*: its recipients are written, but no sender takes a draft;
2. in one transaction, settle the episode with ``UPDATE … SET announced_at, broadcast_id WHERE
   announced_at IS NULL`` (of two callers only one can win) and turn that draft into 'sending';
3. whoever loses the race cancels its draft.

A crash between 1 and 2 leaves an inert draft and an unsettled episode: the next start announces
the episode again (within the grace period), and a check cancels the stray draft once it is a
minute old (younger ones may belong to another bot on the same database, between 1 and 2). So an episode is announced
at most once, and at least once if the bot runs at some moment within the grace period after its
air time. The alternatives are worse: settling first and creating the broadcast second loses the
episode to a crash between the two; creating first and settling second sends it twice.
"""
from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Callable

from bot.config import EpisodeSettings
from bot.core.content import text_in
from bot.core.i18n import Texts
from bot.scheduler import Scheduler
from broadcasts import outbox
from broadcasts.audience import Audience
from handlers.episodes_content import Episode
from storage.ports.episodes import CREATED_BY, EpisodeRow
from storage.ports.repositories import Database
from storage.statuses import BroadcastStatus

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def episode_of(row: EpisodeRow) -> Episode:
    return Episode.model_validate({**json.loads(row.definition), "number": row.number, "air_at": row.air_at})


def series_title(row: EpisodeRow, language: str) -> str:
    return text_in(json.loads(row.series_definition).get("title", {}), language) or row.series_key


def episode_text(texts: Texts, language: str, row: EpisodeRow) -> str:
    """The episode as a resident reads it: series, number, title, description, link."""
    episode = episode_of(row)
    parts = [texts.get(language, "episodes.header", series=series_title(row, language), number=episode.number,
                       title=text_in(episode.title, language))]
    description = text_in(episode.description, language) if episode.description else ""
    if description:
        parts.append(description)
    if episode.video_url:
        parts.append(texts.get(language, "episodes.watch", link=episode.video_url))
    return "\n\n".join(parts)


def literal(text: str) -> str:
    """``text`` as a jinja2 template that renders to exactly ``text``: staff-written titles and
    descriptions are data here, not template code."""
    return text.replace("{", "{{ '{' }}") if "{" in text else text


class EpisodeAnnouncer:
    def __init__(self, db: Database, scheduler: Scheduler, texts: Texts, settings: EpisodeSettings,
                 wake: Callable[[], None] | None = None) -> None:
        self.db = db
        self.wake = wake  # tells the senders a broadcast is ready, rather than their next idle look
        self.scheduler = scheduler
        self.texts = texts
        self.grace = timedelta(hours=settings.grace_hours)
        self._lock = asyncio.Lock()  # one check or announcement at a time: no race to make drafts
        self._scheduled: dict[int, str] = {}  # episode id → the air time its date job was set for

    async def check(self) -> None:
        """Schedule what is ahead, announce what was missed within the grace period, skip the rest."""
        async with self._lock:
            # A minute's margin: another bot on the same database may be between making and releasing one.
            made_before = (utc_now() - timedelta(minutes=1)).isoformat(timespec="microseconds")
            for draft in await self.db.reader.episodes.stray_drafts(made_before):
                await outbox.cancel(self.db, draft)
                log.info("рассылка № %s отменена: черновик для эпизода, который так и не был назначен", draft)
            now = utc_now()
            for row in await self.db.reader.episodes.unsettled():
                air_at = datetime.fromisoformat(row.air_at)
                if air_at > now:
                    if self._scheduled.get(row.id) != row.air_at:
                        self.scheduler.at(air_at, _job_name(row.id), partial(self.announce, row.id))
                        self._scheduled[row.id] = row.air_at
                        log.info("эпизод %s № %s запланирован на %s", row.series_key, row.number, row.air_at)
                else:
                    try:
                        await self._settle(row, now)
                    except Exception:  # the others still get their turn; this one is tried at the next check
                        log.exception("об эпизоде %s № %s не удалось объявить", row.series_key, row.number)

    async def announce(self, episode_id: int) -> None:
        """The date job: announce the episode if it is (still) due and unsettled."""
        async with self._lock:
            self._scheduled.pop(episode_id, None)
            row = await self.db.reader.episodes.get(episode_id)
            if row is None or row.announced_at is not None:
                return
            now = utc_now()
            air_at = datetime.fromisoformat(row.air_at)
            if air_at > now:  # moved later since the job was set (or the clock fired early)
                self.scheduler.at(air_at, _job_name(row.id), partial(self.announce, row.id))
                self._scheduled[row.id] = row.air_at
                return
            await self._settle(row, now)

    async def _settle(self, row: EpisodeRow, now: datetime) -> None:
        self.scheduler.cancel(_job_name(row.id))
        self._scheduled.pop(row.id, None)
        if now - datetime.fromisoformat(row.air_at) > self.grace:
            async with self.db.transaction() as tx:
                skipped = await tx.episodes.skip(row.id)
            if skipped:
                log.warning("эпизод %s № %s вышел %s, больше %s назад: пропущен, с опозданием не отправляется",
                            row.series_key, row.number, row.air_at, self.grace)
            return
        await self._announce(row)

    async def _announce(self, row: EpisodeRow) -> None:
        episode = episode_of(row)
        spec = outbox.BroadcastSpec(
            title=f"{series_title(row, self.texts.default)} #{row.number}",
            texts={language: literal(episode_text(self.texts, language, row)) for language in self.texts.languages},
            audience=Audience(topic=row.topic),
            media=[{"kind": "video", "file_key": episode.file_key}] if episode.file_key else [],
            topic=row.topic)
        broadcast_id, recipients = await outbox.create(
            self.db, spec, created_by=f"{CREATED_BY}{row.series_key}:{row.number}", status=BroadcastStatus.DRAFT)
        async with self.db.transaction() as tx:
            won = await tx.episodes.mark_announced(row.id, broadcast_id)
            if won and not await tx.broadcasts.set_status(broadcast_id, BroadcastStatus.SENDING,
                                                          (BroadcastStatus.DRAFT,)):
                raise RuntimeError(f"broadcast {broadcast_id} was no longer a draft")  # rolls the mark back
        if not won:
            await outbox.cancel(self.db, broadcast_id)
            return
        log.info("эпизод %s № %s объявлен: рассылка № %s, получателей %s, тема %r",
                 row.series_key, row.number, broadcast_id, recipients, row.topic)
        if self.wake is not None:
            self.wake()


def _job_name(episode_id: int) -> str:
    return f"episode:{episode_id}"
