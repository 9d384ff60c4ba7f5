"""Attempts at stored events: the first one after a push channel stored an event, the periodic
pass over those left open (a processing that failed, a crash mid-way), and dead letters.

Attempts at a stored event are counted before they are made (``inbox.attempts``), so an event
that keeps failing, or keeps crashing the process, becomes a dead letter after
``inbox.max_attempts`` instead of being tried forever; staff see dead letters in the panel.
"""
from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from datetime import datetime, timedelta, timezone

from bot.core.background import Background
from bot.core.events import Event
from bot.core.metrics import Metrics
from bot.core.settings import CoreSettings
from bot.core.worker import MAX_BATCH, BatchWorker, describe
from storage.ports.repositories import Database

log = logging.getLogger(__name__)

# Events just stored and about to be attempted, kept in memory so that the first attempt takes the
# event the channel built instead of reading it back and validating it again. Only a shortcut: an
# event not found here (dropped past this many, or stored before a restart) is read from the inbox.
JUST_STORED = 10_000

# Why an event whose attempts were all used up without ending is a dead letter (staff read it).
CRASHED = "обработка прервалась и не была завершена (сбой или остановка процесса)"


class Attempts:
    def __init__(self, db: Database, settings: CoreSettings, worker: BatchWorker, background: Background,
                 metrics: Metrics) -> None:
        self.db = db
        self._metrics = metrics
        self.settings = settings
        self._worker = worker
        self._background = background
        self._in_hand: set[int] = set()  # inbox ids being attempted now: the retry pass leaves them be
        self.stopping = False
        # ... with the moment it was stored (the processing latency is measured from there).
        self._just_stored: OrderedDict[int, tuple[Event, datetime]] = OrderedDict()

    def stored(self, inbox_id: int, event: Event) -> None:
        """``event`` was just committed as ``inbox_id``: its first attempt may take it from here."""
        self._just_stored[inbox_id] = (event, datetime.now(timezone.utc))
        if len(self._just_stored) > JUST_STORED:
            self._just_stored.popitem(last=False)

    def process_in_background(self, inbox_id: int) -> None:
        """The first attempt at an event just stored by ``accept`` (counted when it was stored)."""
        self._in_hand.add(inbox_id)
        event, stored_at = self._just_stored.pop(inbox_id, (None, None))
        self._background.track(self._attempt(inbox_id, None, event, stored_at))

    def retry_in_background(self, inbox_id: int) -> None:
        """One more attempt at a stored event (staff revived a dead letter), counted first."""
        self._in_hand.add(inbox_id)
        self._background.track(self._attempt_counted([inbox_id]))

    async def retry_stored(self) -> int:
        """The periodic pass: try again every open inbox row stored a while ago and not in hand
        (a background processing that failed, a crash mid-way). Returns how many were tried."""
        settle = timedelta(seconds=self.settings.inbox.retry_older_than_seconds)
        cutoff = (datetime.now(timezone.utc) - settle).isoformat(timespec="microseconds")
        return await self.retry_open(cutoff)

    async def retry_open(self, received_before: str | None, channel: str | None = None) -> int:
        ids = [i for i in await self.db.reader.inbox.retryable_ids(received_before, channel) if i not in self._in_hand]
        for start in range(0, len(ids), MAX_BATCH):
            if self.stopping:
                break
            chunk = ids[start:start + MAX_BATCH]
            self._in_hand.update(chunk)
            await self._attempt_counted(chunk)
        if ids:
            log.info("снова обработаны сохранённые события: %d", len(ids))
        return len(ids)

    async def _attempt_counted(self, ids: list[int]) -> None:
        """Count an attempt at each row in its own transaction, then make it (at once for all,
        so they share batches). Rows that had all their attempts become dead letters untried:
        an attempt counted but never ended is one the process died during."""
        for inbox_id in ids:
            self._just_stored.pop(inbox_id, None)  # read from the inbox, with its count
        try:
            try:
                async with self.db.transaction() as tx:
                    spent = await tx.inbox.bury_spent(ids, self.settings.inbox.max_attempts, CRASHED)
                    counted = await tx.inbox.count_attempts(ids)
            except Exception:
                log.exception("не удалось посчитать попытки для строк входящих %s; попробуем при следующем проходе",
                              ids)
                return
            self._metrics.buried(len(spent))
            for inbox_id in spent:
                log.error("строка входящих %s не обработана и отложена для сотрудников: %s", inbox_id, CRASHED)
            await asyncio.gather(*(self._attempt(i, counted[i]) for i in counted))
        finally:
            self._in_hand.difference_update(ids)

    async def _attempt(self, inbox_id: int, counted: tuple[int, str | None] | None,
                       event: Event | None = None, stored_at: datetime | None = None) -> None:
        """One attempt at a stored event; never raises. ``counted``: its attempts so far and its
        payload, or None for the first attempt, whose count was stored with the row; ``event``:
        the event as the channel built it, when it was just stored here (the worker checks in its
        transaction that the row is still open, as it does for every stored event), and when."""
        attempts = 1
        try:
            try:
                if event is None:
                    if counted is None:
                        payload = await self.db.reader.inbox.load_unprocessed(inbox_id)
                    else:
                        attempts, payload = counted
                    if payload is None:
                        return  # processed meanwhile, or stored without a payload to process
                    event = Event.model_validate_json(payload)
                work = await self._worker.process(event, inbox_id, stored_at)
                if not work.unfinished:
                    return
                reason = work.unfinished
            except Exception as error:
                log.exception("строка входящих %s не обработана (попытка %d)", inbox_id, attempts)
                reason = describe(error)
            if attempts >= self.settings.inbox.max_attempts:
                await self._bury(inbox_id, reason, attempts)
            else:
                await self._note(inbox_id, reason)
        finally:
            self._in_hand.discard(inbox_id)

    async def _note(self, inbox_id: int, reason: str) -> None:
        try:
            async with self.db.transaction() as tx:
                await tx.inbox.note_failure(inbox_id, reason)
        except Exception:
            log.exception("строка входящих %s не обработана (%s), и это тоже не удалось записать", inbox_id, reason)

    async def _bury(self, inbox_id: int, reason: str, attempts: int) -> None:
        """No more attempts: the row becomes a dead letter, for staff to look at in the panel."""
        try:
            async with self.db.transaction() as tx:
                buried = await tx.inbox.bury(inbox_id, reason)
        except Exception:
            log.exception("строку входящих %s не удалось отложить для сотрудников; попробуем позже", inbox_id)
            return
        self._metrics.buried(int(buried))
        log.error("строка входящих %s не обработана и отложена для сотрудников после %d попыток: %s",
                  inbox_id, attempts, reason)
