"""The batch worker: from events handed to it to committed state and replies, exactly once.

Why batches: SQLite takes one writer at a time and every statement is a hop to aiosqlite's
thread, so one transaction per event caps the rate at the hop latency. A single worker takes
whatever events are waiting and processes them in one transaction (group commit): the same
number of handler queries, but the fixed costs (begin, commit, inbox and outbox rows, state
writes) are paid once per batch. If any handler in a batch fails, the batch is rolled back and
its events are processed again one by one, so one bad event cannot take others down with it.

An event whose processing fails fails alone: its resident hears a plain "could not process, try
again" (``errors.internal``) and its inbox row is closed with the reason. Recording that never
raises: if even its transaction fails, the failure is logged and the work is left
``unfinished`` (a stored event stays open for the next attempt).

Events of one resident are handled one at a time and in order: a lock per resident is held
from loading the event to the end of its processing (``process``).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Iterable, Mapping

from bot.core import keyboard_memory
from bot.core.background import Background
from bot.core.channel import Capabilities, Channel, Outgoing, Step
from bot.core.delivery import Delivery
from bot.core.events import Event
from bot.core.i18n import Texts
from bot.core.layout import Layout
from bot.core.locks import KeyedLocks
from bot.core.metrics import Metrics
from bot.core.photos import PhotoGate
from bot.core.replies import Reply
from bot.core.routing import Context, PromptFunction, Router, route
from bot.core.settings import CoreSettings
from bot.core.storable import storable_text
from storage.ports.repositories import Database, Repositories
from storage.ports.residents import Resident

log = logging.getLogger(__name__)

MAX_BATCH = 64


@dataclass
class Work:
    """One event waiting for the worker; ``inbox_id`` is None until it is stored."""

    event: Event
    inbox_id: int | None
    done: asyncio.Future[Work] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    replies: list[Outgoing] = field(default_factory=list)
    duplicate: bool = False
    step: Step | None = None  # the resident's step once processed (read without a query)
    # Why the event is neither processed nor closed as failed ("" when it is one of them).
    unfinished: str = ""
    # When it was stored, for the latency metric; None: stored with its processing, or read back
    # from the inbox (then the event's own ``received_at`` counts).
    stored_at: datetime | None = None


class BatchWorker:
    def __init__(self, db: Database, settings: CoreSettings, texts: Texts, routers: tuple[Router, ...],
                 prompts: Mapping[str, PromptFunction], channels: Mapping[str, Channel], layout: Layout,
                 photos: PhotoGate,
                 delivery: Delivery, background: Background,
                 after_erasure: Callable[[Iterable[str]], Awaitable[None]], metrics: Metrics) -> None:
        self.db = db
        self._metrics = metrics
        self.settings = settings
        self.texts = texts
        self.routers = routers
        self.prompts = prompts
        self.channels = channels
        self._layout = layout
        self._photos = photos
        self._delivery = delivery
        self._background = background
        self._after_erasure = after_erasure
        self._resident_locks = KeyedLocks()
        self._queue: asyncio.Queue[Work] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._commit_jobs: dict[str, Callable[[Any], Awaitable[object]]] = {}

    def on_commit(self, name: str, job: Callable[[Any], Awaitable[object]]) -> None:
        """Register the job that ``Context.after_commit(name, argument)`` runs once committed."""
        self._commit_jobs[name] = job

    async def process(self, event: Event, inbox_id: int | None, stored_at: datetime | None = None) -> Work:
        """Process one event (stored, or to be stored with its processing) under its resident's
        lock, its photos fetched first; returns once the outcome is committed (or not)."""
        async with self._resident_locks.hold(event.ref):
            return await self._submit(Work(await self._photos.fetch(event), inbox_id, stored_at=stored_at))

    async def _submit(self, work: Work) -> Work:
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._work())
        await self._queue.put(work)
        return await work.done

    async def _work(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._run_batch(batch)
            except BaseException as error:
                # Not reached by a failing handler (that is recorded); never leave a caller waiting.
                if not isinstance(error, asyncio.CancelledError):
                    log.exception("пачка событий (%d) не обработана вне обработчиков", len(batch))
                for work in batch:
                    if not work.done.done():
                        work.unfinished = work.unfinished or describe(error)
                        work.done.set_result(work)
                if not isinstance(error, Exception):
                    raise

    async def _run_batch(self, batch: list[Work]) -> None:
        try:
            await self._process_batch(batch)
        except Exception as error:
            if len(batch) > 1:
                log.warning("пачка событий (%d) не обработана (%s); обрабатываем по одному",
                            len(batch), describe(error))
                for work in batch:
                    await self._run_batch([work])
                return
            log.exception("обработчик упал на обновлении %s %s", batch[0].event.ref.channel, batch[0].event.update_id)
            self._metrics.failed(batch[0].event.ref.channel)
            await self._record_failure(batch[0], error)
        for work in batch:
            self._finish(work)

    def _finish(self, work: Work) -> None:
        """Hand the replies to the channel and the outcome to whoever waits for it."""
        try:
            if work.replies:
                self._delivery.deliver(work.event.ref, work.replies)
        except Exception:
            log.exception("ответы в канал %s не переданы; они ждут отправки", work.event.ref.channel)
        if not work.done.done():
            work.done.set_result(work)

    async def _process_batch(self, batch: list[Work]) -> None:
        async with self.db.transaction() as tx:
            live, duplicates = await self._store_and_filter(tx, batch)
            residents = await tx.residents.get_or_create_many(
                [(w.event.ref.channel, w.event.ref.external_id) for w, _ in live])
            changed, forgotten, jobs = [], [], []
            outgoing: list[tuple[Work, int, Reply, bool]] = []
            capabilities = {name: channel.capabilities for name, channel in self.channels.items()}
            for work, inbox_id in live:
                # One event per resident per batch: the resident lock is held until it is done.
                resident = residents[(work.event.ref.channel, work.event.ref.external_id)]
                ctx = await self._respond(tx, work.event, resident, capabilities)
                jobs.extend(ctx.committed_jobs)
                work.step = None if ctx.forgotten else self._photos.step(resident)
                if ctx.forgotten:
                    forgotten.append(ctx)
                else:
                    changed.append(resident)
                outgoing.extend((work, inbox_id, reply, ctx.forgotten) for reply in ctx.replies)
            await tx.residents.save_states(changed)
            stored_before = [inbox_id for work, inbox_id in live if work.inbox_id is not None]
            if stored_before:
                await tx.inbox.mark_processed_many(stored_before)
            ids = await tx.outbox.add_many(
                [(w.event.ref.channel, w.event.ref.external_id, inbox_id, r.model_dump_json(),
                  self._delivery.pulls(w.event.ref.channel)) for w, inbox_id, r, _ in outgoing])
            # The confirmation of an erasure is the one row left that names the erased resident.
            await tx.outbox.erase_after_delivery(
                [outbox_id for (*_, gone), outbox_id in zip(outgoing, ids) if gone],
                timedelta(minutes=self.settings.privacy.confirmation_keep_minutes))
        # Committed: only now do the callers learn the ids.
        for work, inbox_id in live:
            if work.inbox_id is None:   # stored by this transaction (the web chat's)
                self._metrics.stored(work.event.ref.channel)
            self._metrics.processed(work.event.ref.channel, work.stored_at or work.event.received_at)
            work.inbox_id = inbox_id
        for work in duplicates:
            work.duplicate = True
        for (work, _, reply, _), outbox_id in zip(outgoing, ids):
            work.replies.append(Outgoing(outbox_id, reply))
        if forgotten:
            await self._after_erasure([key for ctx in forgotten for key in ctx.erased_files])
        for name, argument in jobs:
            self._background.track(self._run_commit_job(name, argument))

    async def _run_commit_job(self, name: str, argument: Any) -> None:
        """A handler's job once its transaction is committed; a failure is logged, never raised
        (the handler wrote in the transaction what the job's failure leaves to be done)."""
        job = self._commit_jobs.get(name)
        if job is None:
            log.error("после фиксации транзакции нужно было выполнить «%s», но такое действие не подключено", name)
            return
        try:
            await job(argument)
        except Exception:
            log.exception("действие «%s» после фиксации транзакции не удалось", name)

    async def _respond(self, tx: Repositories, event: Event, resident: Resident,
                       channels: Mapping[str, Capabilities]) -> Context:
        """Run the handler for the event (or turn the page of a long keyboard) and lay the
        replies out for the resident's client, remembering the buttons it will show."""
        caps = self._layout.capabilities(event.ref)
        shown = keyboard_memory.Shown.load(resident.keyboard)
        ctx = Context(event=keyboard_memory.pressed(event, shown), resident=resident, db=tx,
                      settings=self.settings, texts=self.texts, prompts=dict(self.prompts),
                      capabilities=caps if event.ref.channel in channels else None, channels=channels)
        page = keyboard_memory.page_asked(ctx.event)
        turned = None if page is None else keyboard_memory.turn_page(
            shown, page, caps, self._layout.page_labels(ctx.language))
        if turned is not None:
            reply, shown = turned
            ctx.replies.append(reply)
        else:
            await route(self.routers, ctx)
            await ctx.finish()
            ctx.replies, shown = keyboard_memory.lay_out(ctx.replies, caps, self._layout.page_labels(ctx.language),
                                                         shown)
        resident.keyboard = shown.dump()
        return ctx

    async def _store_and_filter(self, tx: Repositories,
                                batch: list[Work]) -> tuple[list[tuple[Work, int]], list[Work]]:
        """Store what is not stored yet; return the events to process and the duplicates.
        Events stored here are processed in this same transaction, so they are stored as
        processed, without a payload: they commit together or not at all."""
        fresh = [w for w in batch if w.inbox_id is None]
        stored = await tx.inbox.store_many(
            [(w.event.ref.channel, w.event.update_id, None) for w in fresh], processed=True)
        known = [w.inbox_id for w in batch if w.inbox_id is not None]
        still_open = await tx.inbox.still_unprocessed(known) if known else set()
        live, duplicates = [], []
        for work in batch:
            if work.inbox_id is None:
                inbox_id = stored.get((work.event.ref.channel, work.event.update_id))
                if inbox_id is None:
                    duplicates.append(work)
                else:
                    live.append((work, inbox_id))
            elif work.inbox_id in still_open:
                live.append((work, work.inbox_id))
        return live, duplicates

    async def _record_failure(self, work: Work, error: Exception) -> None:
        """Never silence: the resident hears "could not process, try again"; the event is closed
        with the reason. Never raises: if this cannot be written either, the work is left
        ``unfinished`` (a stored event stays open for the next attempt) and the reason logged."""
        event = work.event
        reason = describe(error)
        try:
            resident = await self.db.reader.residents.find(event.ref.channel, event.ref.external_id)
            reply = self.could_not_process(resident.language if resident else event.language_hint)
            async with self.db.transaction() as tx:
                inbox_id = work.inbox_id
                if inbox_id is None:
                    stored = await tx.inbox.store_many([(event.ref.channel, event.update_id, event.model_dump_json())])
                    inbox_id = stored.get((event.ref.channel, event.update_id))
                    if inbox_id is None:
                        work.duplicate = True
                        return
                await tx.inbox.mark_processed(inbox_id, error=reason)
                ids = await tx.outbox.add_many([(event.ref.channel, event.ref.external_id, inbox_id,
                                                 reply.model_dump_json(), self._delivery.pulls(event.ref.channel))])
        except Exception:
            log.exception("сбой обновления %s %s (%s) тоже не удалось записать",
                          event.ref.channel, event.update_id, reason)
            work.unfinished = reason
            return
        if work.inbox_id is None:   # stored by this transaction
            self._metrics.stored(event.ref.channel)
        work.inbox_id = inbox_id
        work.replies = [Outgoing(ids[0], reply)]

    def could_not_process(self, language: str) -> Reply:
        return Reply(text=self.texts.get(self.texts.resolve(language or self.texts.default), "errors.internal"))

    async def stop(self, deadline: float) -> None:
        """Let the events already queued finish until ``deadline`` (loop time), then stop."""
        if self._worker is None:
            return
        loop = asyncio.get_running_loop()
        while not self._queue.empty() and loop.time() < deadline:
            await asyncio.sleep(0.01)
        self._worker.cancel()
        try:
            await self._worker
        except asyncio.CancelledError:
            pass


def describe(error: BaseException) -> str:
    """The reason stored with a failure: never raises, and always storable."""
    try:
        text = f"{type(error).__name__}: {error}"
    except Exception:  # an exception whose message cannot even be rendered
        text = f"{type(error).__name__} (its message could not be rendered)"
    return storable_text(text)[:500]
