"""A survey's wave reminded of once, when it opens, to the subscribers of the survey's topic.

As with episodes (``broadcasts/episodes.py``, whose docstring says why in full), the schedule is
the content itself and what was done lives in SQLite: ``survey_wave_reminders`` holds one row per
wave settled. ``WaveReminder.check`` runs at start and every ``surveys.check_every_seconds``;
for each survey with waves it sets a date job at the next wave's opening, and for the wave open
now, not yet settled:

- opened at most ``surveys.reminder_grace_hours`` ago: reminded now;
- opened longer ago (the bot was down, or the file loaded late): settled without a reminder.

**Never twice.** The reminder is made as a *draft* broadcast (its delivery rows written, no sender
takes it), then one transaction settles the wave (``INSERT … ON CONFLICT DO NOTHING``: of two
callers one wins), skips the deliveries of whoever has answered that wave already, and turns the
draft into 'sending'; the loser cancels its draft, a check cancels drafts a crash left behind. A
resident who completes the wave while the reminder is still going out has their delivery skipped
in the same step (``handlers.surveys.record``); one who erased their data has no delivery left
(deleting the resident deletes them) and no subscription to be chosen by.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any, Callable

from bot.core.content import text_in
from bot.core.i18n import Texts
from bot.scheduler import Scheduler
from broadcasts import outbox
from broadcasts.audience import Audience
from broadcasts.episodes import literal
from handlers.survey_waves_content import Wave
from handlers.surveys_content import Survey
from storage.ports.content import ContentKind
from storage.ports.repositories import Database
from storage.ports.surveys import REMINDER_BY
from storage.statuses import BroadcastStatus

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class WaveReminder:
    def __init__(self, db: Database, scheduler: Scheduler, texts: Texts, settings: Any,
                 wake: Callable[[], None] | None = None) -> None:
        self.db = db
        self.scheduler = scheduler
        self.texts = texts
        self.clock = settings.project.clock
        self.grace = timedelta(hours=settings.surveys.reminder_grace_hours)
        self.wake = wake  # tells the senders a broadcast is ready
        self._lock = asyncio.Lock()  # one check or reminder at a time: no race to make drafts
        self._scheduled: dict[tuple[str, int], datetime] = {}  # (survey, wave) → its date job's time

    async def _surveys(self) -> list[tuple[int, Survey]]:
        found = []
        for definition in await self.db.reader.content.all(ContentKind.SURVEYS):
            survey = Survey.model_validate_json(definition)
            if survey.waves is None:
                continue
            stored = await self.db.reader.content.get(ContentKind.SURVEYS, survey.key)
            if stored is not None:
                found.append((stored[0], survey))
        return found

    async def check(self) -> None:
        """Schedule the next openings, remind of a wave open now, settle the ones missed."""
        async with self._lock:
            made_before = (utc_now() - timedelta(minutes=1)).isoformat(timespec="microseconds")
            for draft in await self.db.reader.surveys.stray_reminder_drafts(made_before):
                await outbox.cancel(self.db, draft)
                log.info("рассылка № %s отменена: черновик напоминания о волне опроса, которое так и не ушло", draft)
            now = utc_now()
            for survey_id, survey in await self._surveys():
                upcoming = survey.next_wave(now)
                if upcoming is not None and self._scheduled.get((survey.key, upcoming.number)) != upcoming.opens:
                    self.scheduler.at(upcoming.opens, _job_name(survey.key, upcoming.number),
                                      partial(self.remind, survey.key, upcoming.number))
                    self._scheduled[(survey.key, upcoming.number)] = upcoming.opens
                    log.info("волна %s опроса %s запланирована на %s", upcoming.number, survey.key,
                             upcoming.opens.isoformat())
                wave = survey.wave_at(now)
                if wave is not None and not await self.db.reader.surveys.wave_settled(survey_id, wave.number):
                    try:
                        await self._settle(survey_id, survey, wave, now)
                    except Exception:  # the other surveys still get their turn; this one at the next check
                        log.exception("о волне %s опроса %s не удалось напомнить", wave.number, survey.key)

    async def remind(self, key: str, number: int) -> None:
        """The date job at a wave's opening: remind of it if it is open and unsettled."""
        async with self._lock:
            self._scheduled.pop((key, number), None)
            stored = await self.db.reader.content.get(ContentKind.SURVEYS, key)
            if stored is None:
                return
            survey = Survey.model_validate_json(stored[1])
            wave = survey.wave(number)
            now = utc_now()
            if wave is None or survey.waves is None:
                return
            if wave.opens > now:  # moved later since the job was set (or the clock fired early)
                self.scheduler.at(wave.opens, _job_name(key, number), partial(self.remind, key, number))
                self._scheduled[(key, number)] = wave.opens
                return
            if wave.is_open(now) and not await self.db.reader.surveys.wave_settled(stored[0], number):
                await self._settle(stored[0], survey, wave, now)

    async def _settle(self, survey_id: int, survey: Survey, wave: Wave, now: datetime) -> None:
        if now - wave.opens > self.grace:
            async with self.db.transaction() as tx:
                skipped = await tx.surveys.settle_wave(survey_id, wave.number, None)
            if skipped:
                log.warning("волна %s опроса %s открылась %s, больше %s назад: напоминание не отправляется",
                            wave.number, survey.key, wave.opens.isoformat(), self.grace)
            return
        spec = outbox.BroadcastSpec(
            title=f"Опрос «{text_in(survey.title, self.texts.default)}»: волна {wave.number}",
            texts={language: literal(self._text(language, survey, wave)) for language in self.texts.languages},
            audience=Audience(topic=survey.topic),
            buttons=[[{"label": self.texts.get(self.texts.default, "surveys.wave_reminder_button"),
                       "payload": f"survey:{survey.key}:{wave.number}"}]],
            topic=survey.topic)
        broadcast_id, recipients = await outbox.create(
            self.db, spec, created_by=f"{REMINDER_BY}{survey.key}:{wave.number}", status=BroadcastStatus.DRAFT)
        async with self.db.transaction() as tx:
            won = await tx.surveys.settle_wave(survey_id, wave.number, broadcast_id)
            if won:
                answered = await tx.surveys.skip_answered(survey_id, wave.number)
                if not await tx.broadcasts.set_status(broadcast_id, BroadcastStatus.SENDING,
                                                      (BroadcastStatus.DRAFT,)):
                    raise RuntimeError(f"broadcast {broadcast_id} was no longer a draft")  # rolls the settling back
        if not won:
            await outbox.cancel(self.db, broadcast_id)
            return
        log.info("напоминание о волне %s опроса %s: рассылка № %s, получателей %s (уже ответили: %s), тема %r",
                 wave.number, survey.key, broadcast_id, recipients, answered, survey.topic)
        if self.wake is not None:
            self.wake()

    def _text(self, language: str, survey: Survey, wave: Wave) -> str:
        until = self.clock.text(wave.closes, self.texts.get(language, "formats.date_time"))
        return self.texts.get(language, "surveys.wave_reminder", number=wave.number,
                              title=text_in(survey.title, language), until=until)


def _job_name(key: str, number: int) -> str:
    return f"survey-wave:{key}:{number}"

