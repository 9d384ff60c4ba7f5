"""The dispatcher: from a stored event to stored replies, exactly once.

The path of every event, whatever its channel:

1. Stored. Push channels (webhooks, long polling) call ``accept``/``accept_many``: the event is
   written to the inbox and committed, and only then may the channel tell its platform that the
   update arrived. The web chat calls ``handle``, which stores and processes in one transaction
   before the HTTP answer, the answer being its acknowledgement. A (channel, update id) seen
   before is recognised and not processed again.
2. Processed, in one transaction with the storing or after it (photos still on the platform are
   fetched and stored first, under the resident lock, but only for a resident who consented and
   is at a step that asks for photos: ``_fetch_photos``): the resident is found or created,
   the handler for the resident's current step runs, the new state and every reply are written,
   and the inbox row is marked processed. A crash before the commit leaves the event stored and
   unprocessed; ``recover`` processes it at the next start, and ``retry_stored`` (a periodic
   pass) while the bot runs. After the commit nothing is redone.
3. Delivered: replies are handed to the channel after the commit and marked sent when it
   succeeds; those left pending are sent again at the next start. Jobs a handler asked for with
   ``Context.after_commit`` (an SMS) start after the commit too; a rollback drops them.

Why batches: SQLite takes one writer at a time and every statement is a hop to aiosqlite's
thread, so one transaction per event caps the rate at the hop latency. A single worker takes
whatever events are waiting and processes them in one transaction (group commit): the same
number of handler queries, but the fixed costs (begin, commit, inbox and outbox rows, state
writes) are paid once per batch. If any handler in a batch fails, the batch is rolled back and
its events are processed again one by one, so one bad event cannot take others down with it.

An event whose processing fails fails alone: its resident hears a plain "could not process, try
again" (``errors.internal``) and its inbox row is closed with the reason. Recording that never
raises: if even its transaction fails, the failure is logged, the caller learns that the event
was not processed (``Handled.not_processed``), and a stored event stays open for the next
attempt. Attempts at a stored event are counted before they are made (``inbox.attempts``), so an
event that keeps failing, or keeps crashing the process, becomes a dead letter after
``inbox.max_attempts`` instead of being tried forever; staff see dead letters in the panel.

Events of one resident are handled one at a time and in order: a lock per resident is held
from loading the event to the end of its processing.
"""
from __future__ import annotations

import asyncio
import functools
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable, Coroutine, Iterable, Mapping

from bot.core import keyboard_memory
from bot.core.channel import Capabilities, Channel, DeliveryError, Handled, Outgoing, Step
from bot.core.events import Event, Photo, ResidentRef
from bot.core.i18n import Texts
from bot.core.locks import KeyedLocks
from bot.core.replies import Reply
from bot.core.settings import CoreSettings
from bot.core.routing import Context, Router, prompts_of, route
from bot.core.storable import storable_text
from storage.attachments import AttachmentStore, ImageTooLarge, NotAnImage, QuotaExceeded
from storage.database import Database
from storage.repositories import Repositories
from storage.residents import Resident

log = logging.getLogger(__name__)

MAX_BATCH = 64
# Why an event whose attempts were all used up without ending is a dead letter (staff read it).
CRASHED = "обработка прервалась и не была завершена (сбой или остановка процесса)"


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


class Dispatcher:
    def __init__(self, db: Database, settings: CoreSettings, texts: Texts, routers: Iterable[Router],
                 channels: Mapping[str, Channel], attachments: AttachmentStore) -> None:
        self.db = db
        self.settings = settings
        self.texts = texts
        self.routers = tuple(routers)
        self.channels = channels
        self.attachments = attachments
        self.prompts = prompts_of(self.routers)  # steps that need consent show the consent gate instead
        self.photo_steps = {state: rule for router in self.routers for state, rule in router.photo_steps.items()}
        self._resident_locks = KeyedLocks()
        self._delivery_locks = KeyedLocks()  # one resident's replies leave in the order written
        self._queue: asyncio.Queue[Work] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_hand: set[int] = set()  # inbox ids being attempted now: the retry pass leaves them be
        self._stopping = False
        self._commit_jobs: dict[str, Callable[[Any], Awaitable[object]]] = {}
        self._labels: dict[str, keyboard_memory.PageLabels] = {}  # by language

    def on_commit(self, name: str, job: Callable[[Any], Awaitable[object]]) -> None:
        """Register the job that ``Context.after_commit(name, argument)`` runs once committed."""
        self._commit_jobs[name] = job

    # -- the channel-facing side -------------------------------------------------------------

    async def submit(self, events: list[Event]) -> list[int | None]:
        """The one call of a push channel: store the events in one commit, then start processing
        those not seen before. The channel acknowledges its platform once this returns; ``None``
        marks a duplicate of an event stored earlier."""
        stored = await self.accept_many(events)
        for inbox_id in stored:
            if inbox_id is not None:
                self.process_in_background(inbox_id)
        return stored

    async def accept(self, event: Event) -> int | None:
        """Store the event durably; ``None`` when it is a duplicate of one already stored."""
        return (await self.accept_many([event]))[0]

    async def accept_many(self, events: list[Event]) -> list[int | None]:
        """Store a batch of events (a poll's worth) in one commit; ``None`` marks duplicates."""
        async with self.db.transaction() as tx:
            stored = await tx.inbox.store_many(
                [(e.ref.channel, e.update_id, e.model_dump_json()) for e in events])
        return [stored.get((e.ref.channel, e.update_id)) for e in events]

    async def accept_unparseable(self, channel: str, body: bytes | str | Any, reason: str) -> int | None:
        """Keep a signed body (or a decoded update from a long poll) that the channel's parser
        cannot read as a dead letter staff can see; ``None`` when the same body was kept before.
        The channel then answers so that the platform stops retrying (a 500 would bring the same
        body back for days)."""
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        elif not isinstance(body, str):
            body = json.dumps(body, ensure_ascii=False, default=str)
        text = storable_text(body)
        async with self.db.transaction() as tx:
            inbox_id = await tx.inbox.store_unparseable(channel, text, storable_text(reason))
        log.warning("%s: тело запроса с верной подписью не разобрано (%s); %s", channel, reason[:200],
                    f"сохранено для разбора, inbox {inbox_id}" if inbox_id else "уже сохранено ранее")
        return inbox_id

    async def handle(self, event: Event) -> Handled:
        """Store and process at once, for channels that answer in the same request."""
        async with self._resident_locks.hold(event.ref):
            work = await self._submit(Work(await self._fetch_photos(event), None))
        if work.duplicate:
            earlier = await self.db.reader.inbox.find(event.ref.channel, event.update_id)
            rows = await self.db.reader.outbox.for_inbox(earlier) if earlier else []
            return Handled(earlier, True, [Outgoing(r.id, Reply.model_validate_json(r.payload)) for r in rows])
        if work.unfinished:
            return Handled(work.inbox_id, False, [], not_processed=self._could_not_process(event.language_hint))
        return Handled(work.inbox_id, False, work.replies, step=work.step)

    def process_in_background(self, inbox_id: int) -> None:
        """The first attempt at an event just stored by ``accept`` (counted when it was stored)."""
        self._in_hand.add(inbox_id)
        self._track(self._attempt(inbox_id, None))

    def retry_in_background(self, inbox_id: int) -> None:
        """One more attempt at a stored event (staff revived a dead letter), counted first."""
        self._in_hand.add(inbox_id)
        self._track(self._attempt_counted([inbox_id]))

    # -- attempts at stored events --------------------------------------------------------------

    async def retry_stored(self) -> int:
        """The periodic pass: try again every open inbox row stored a while ago and not in hand
        (a background processing that failed, a crash mid-way). Returns how many were tried."""
        settle = timedelta(seconds=self.settings.inbox.retry_older_than_seconds)
        cutoff = (datetime.now(timezone.utc) - settle).isoformat(timespec="microseconds")
        return await self._retry_open(cutoff)

    async def _retry_open(self, received_before: str | None) -> int:
        ids = [i for i in await self.db.reader.inbox.retryable_ids(received_before) if i not in self._in_hand]
        for start in range(0, len(ids), MAX_BATCH):
            if self._stopping:
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
        try:
            try:
                async with self.db.transaction() as tx:
                    spent = await tx.inbox.bury_spent(ids, self.settings.inbox.max_attempts, CRASHED)
                    counted = await tx.inbox.count_attempts(ids)
            except Exception:
                log.exception("не удалось посчитать попытки для строк входящих %s; попробуем при следующем проходе",
                              ids)
                return
            for inbox_id in spent:
                log.error("строка входящих %s не обработана и отложена для сотрудников: %s", inbox_id, CRASHED)
            await asyncio.gather(*(self._attempt(i, counted[i]) for i in counted))
        finally:
            self._in_hand.difference_update(ids)

    async def _attempt(self, inbox_id: int, counted: tuple[int, str | None] | None) -> None:
        """One attempt at a stored event; never raises. ``counted``: its attempts so far and its
        payload, or None for the first attempt, whose count was stored with the row."""
        attempts = 1
        try:
            try:
                if counted is None:
                    payload = await self.db.reader.inbox.load_unprocessed(inbox_id)
                else:
                    attempts, payload = counted
                if payload is None:
                    return  # processed meanwhile, or stored without a payload to process
                event = Event.model_validate_json(payload)
                async with self._resident_locks.hold(event.ref):
                    work = await self._submit(Work(await self._fetch_photos(event), inbox_id))
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
                await tx.inbox.bury(inbox_id, reason)
        except Exception:
            log.exception("строку входящих %s не удалось отложить для сотрудников; попробуем позже", inbox_id)
            return
        log.error("строка входящих %s не обработана и отложена для сотрудников после %d попыток: %s",
                  inbox_id, attempts, reason)

    def _track(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- the worker ------------------------------------------------------------------------

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
            await self._record_failure(batch[0], error)
        for work in batch:
            self._finish(work)

    def _finish(self, work: Work) -> None:
        """Hand the replies to the channel and the outcome to whoever waits for it."""
        try:
            if work.replies:
                self._deliver(work.event.ref, work.replies)
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
            outgoing: list[tuple[Work, int, Reply, bool]] = []  # (work, inbox id, reply, resident erased)
            capabilities = {name: channel.capabilities for name, channel in self.channels.items()}
            for work, inbox_id in live:
                # One event per resident per batch: the resident lock is held until it is done.
                resident = residents[(work.event.ref.channel, work.event.ref.external_id)]
                ctx = await self._respond(tx, work.event, resident, capabilities)
                jobs.extend(ctx.committed_jobs)
                work.step = None if ctx.forgotten else self._step(resident)
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
                  self._pulls(w.event.ref.channel)) for w, inbox_id, r, _ in outgoing])
            # The confirmation of an erasure is the one row left that names the erased resident.
            await tx.outbox.erase_after_delivery(
                [outbox_id for (*_, gone), outbox_id in zip(outgoing, ids) if gone],
                timedelta(minutes=self.settings.privacy.confirmation_keep_minutes))
        # Committed: only now do the callers learn the ids.
        for work, inbox_id in live:
            work.inbox_id = inbox_id
        for work in duplicates:
            work.duplicate = True
        for (work, _, reply, _), outbox_id in zip(outgoing, ids):
            work.replies.append(Outgoing(outbox_id, reply))
        if forgotten:
            await self._after_erasure([key for ctx in forgotten for key in ctx.erased_files])
        for name, argument in jobs:
            self._track(self._run_commit_job(name, argument))

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
        caps = self._capabilities(event.ref)
        shown = keyboard_memory.Shown.load(resident.keyboard)
        ctx = Context(event=keyboard_memory.pressed(event, shown), resident=resident, db=tx,
                      settings=self.settings, texts=self.texts, prompts=self.prompts,
                      capabilities=caps if event.ref.channel in channels else None, channels=channels)
        page = keyboard_memory.page_asked(ctx.event)
        turned = None if page is None else keyboard_memory.turn_page(
            shown, page, caps, self._page_labels(ctx.language))
        if turned is not None:
            reply, shown = turned
            ctx.replies.append(reply)
        else:
            await route(self.routers, ctx)
            await ctx.finish()
            ctx.replies, shown = keyboard_memory.lay_out(ctx.replies, caps, self._page_labels(ctx.language), shown)
        resident.keyboard = shown.dump()
        return ctx

    def _capabilities(self, ref: ResidentRef) -> Capabilities:
        channel = self.channels.get(ref.channel)
        return channel.capabilities_for(ref) if channel is not None else Capabilities()

    def _page_labels(self, language: str) -> keyboard_memory.PageLabels:
        """The paging buttons' labels in ``language``, built once per language (kept on the
        dispatcher, not in a cache on the class that would keep every dispatcher alive)."""
        if language not in self._labels:
            text = functools.partial(self.texts.get, language)
            self._labels[language] = keyboard_memory.PageLabels(
                more=text("keyboard.more"), back=text("keyboard.back"), heading=text("keyboard.heading"))
        return self._labels[language]

    async def _after_erasure(self, files: Iterable[str] = ()) -> None:
        """Committed: delete the files nothing names any more, and clear the write-ahead log,
        which still holds the erased rows as they were. A failure here is logged, never raised:
        the erasure itself is done, and the housekeeping checkpoints again."""
        try:
            await self.attachments.delete(files)
            await self.db.checkpoint()
        except Exception:
            log.exception("после удаления данных жителя не удалось удалить его файлы или очистить журнал WAL")

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
            reply = self._could_not_process(resident.language if resident else event.language_hint)
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
                                                 reply.model_dump_json(), self._pulls(event.ref.channel))])
        except Exception:
            log.exception("сбой обновления %s %s (%s) тоже не удалось записать",
                          event.ref.channel, event.update_id, reason)
            work.unfinished = reason
            return
        work.inbox_id = inbox_id
        work.replies = [Outgoing(ids[0], reply)]

    def _could_not_process(self, language: str) -> Reply:
        return Reply(text=self.texts.get(self.texts.resolve(language or self.texts.default), "errors.internal"))

    async def _fetch_photos(self, event: Event) -> Event:
        """The one gate for residents' photos, whatever the channel (held under the resident lock).

        A photo is fetched from the platform and stored only for a resident who consented, at a
        step that asks for photos (``Router.prompt(..., photos=...)``). Otherwise it stays where
        it is, unread, and the handlers answer as they would for any photo there ("not needed
        here", or consent first). The store checks the picture and strips its metadata; when it
        refuses one, ``Photo.refused`` says why, for the handler to explain."""
        if not any(photo.remote_id and not photo.file_key for photo in event.photos):
            return event
        resident = await self.db.reader.residents.find(event.ref.channel, event.ref.external_id)
        if resident is None or not resident.has_consent or not self._asks_for_photos(resident):
            return event
        channel = self.channels.get(event.ref.channel)
        room = max(1, self.settings.proposals.max_photos)  # no step takes more from one message
        fetched: list[Photo] = []
        for photo in event.photos:
            if photo.file_key or not photo.remote_id or channel is None or room == 0:
                fetched.append(photo)
                continue
            room -= 1
            fetched.append(await self._store_photo(channel, event, photo))
        return event.model_copy(update={"photos": tuple(fetched)})

    async def step_of(self, ref: ResidentRef) -> Step:
        resident = await self.db.reader.residents.find(ref.channel, ref.external_id)
        return Step() if resident is None else self._step(resident)

    def _step(self, resident: Resident) -> Step:
        return Step(language=resident.language, takes_photos=resident.has_consent and self._asks_for_photos(resident))

    def _asks_for_photos(self, resident: Resident) -> bool:
        rule = self.photo_steps.get(resident.state)
        return rule is not None and rule(resident)

    async def _store_photo(self, channel: Channel, event: Event, photo: Photo) -> Photo:
        try:
            data = await channel.download(photo)
            key, mime = await self.attachments.put_image(data)
        except DeliveryError as error:
            log.warning("фото %s из канала %s не получено: %s", photo.remote_id, event.ref.channel, error)
            return photo.model_copy(update={"refused": "unavailable"})
        except NotAnImage as error:
            log.info("фото из %s отклонено: %s", event.ref.channel, error)
            return photo.model_copy(update={"refused": "not_an_image"})
        except ImageTooLarge as error:
            log.warning("фото из %s отклонено: %s", event.ref.channel, error)
            return photo.model_copy(update={"refused": "too_large"})
        except QuotaExceeded as error:
            log.warning("квота вложений исчерпана (storage.attachments_quota_mb), фото из %s не сохранено: %s",
                        event.ref.channel, error)
            return photo.model_copy(update={"refused": "quota"})
        except OSError as error:
            log.error("фото из %s не записано на диск: %s", event.ref.channel, error)
            return photo.model_copy(update={"refused": "unavailable"})
        return photo.model_copy(update={"file_key": key, "mime_type": mime, "size": len(data)})

    # -- notices that no event asked for -------------------------------------------------------

    async def notify(self, build: Callable[[Repositories], Awaitable[list[tuple[ResidentRef, Reply]]]]) -> int:
        """Run ``build`` in a transaction and write the messages it returns to the outbox in the
        same transaction (so a notice is sent once, with whatever ``build`` recorded); deliver
        them after the commit. For results, status notices and other messages nobody asked for."""
        async with self.db.transaction() as tx:
            messages = [(ref, await self._remember_shown(tx, ref, reply)) for ref, reply in await build(tx)]
            ids = await tx.outbox.add_many(
                [(ref.channel, ref.external_id, None, reply.model_dump_json(), self._pulls(ref.channel))
                 for ref, reply in messages])
        by_resident: dict[ResidentRef, list[Outgoing]] = {}
        for (ref, reply), outbox_id in zip(messages, ids):
            by_resident.setdefault(ref, []).append(Outgoing(outbox_id, reply))
        for ref, outgoing in by_resident.items():
            self._deliver(ref, outgoing)
        return len(messages)

    async def _remember_shown(self, tx: Repositories, ref: ResidentRef, reply: Reply) -> Reply:
        """A notice with buttons is laid out like any reply and becomes what the resident was last
        shown: a number typed after it presses its buttons, not those of an older menu."""
        if not any(b.payload for b in reply.all_buttons()):
            return reply
        resident = await tx.residents.find(ref.channel, ref.external_id)
        if resident is None:
            return reply
        language = self.texts.resolve(resident.language or self.texts.default)
        laid, shown = keyboard_memory.lay_out([reply], self._capabilities(ref), self._page_labels(language),
                                              keyboard_memory.Shown.load(resident.keyboard))
        await tx.residents.set_keyboard(resident.id, shown.dump())
        return laid[0]

    # -- delivery --------------------------------------------------------------------------

    def _pulls(self, channel_name: str) -> bool:
        channel = self.channels.get(channel_name)
        return channel is not None and channel.capabilities.pull_delivery

    def _deliver(self, ref: ResidentRef, outgoing: list[Outgoing]) -> None:
        channel = self.channels.get(ref.channel)
        if channel is None:
            log.warning("канал %r не запущен; ответов ждут отправки: %d", ref.channel, len(outgoing))
        elif channel.capabilities.pull_delivery:
            channel.replies_written(ref)
        else:
            self._track(self._push(channel, ref, outgoing))

    async def _push(self, channel: Channel, ref: ResidentRef, outgoing: list[Outgoing]) -> None:
        async with self._delivery_locks.hold(ref):
            await self._push_in_order(channel, ref, outgoing)

    async def _push_in_order(self, channel: Channel, ref: ResidentRef, outgoing: list[Outgoing]) -> None:
        try:
            await channel.deliver(ref, outgoing)
        except DeliveryError as error:
            if error.permanent:
                async with self.db.transaction() as tx:
                    await tx.outbox.mark_failed([o.id for o in outgoing], str(error))
                    await tx.outbox.erase_delivered([o.id for o in outgoing])
                    resident = await tx.residents.find(ref.channel, ref.external_id)
                    if resident is not None:
                        await tx.residents.set_reachable(resident.id, False)
            else:
                # The channel, not the resident: a log outlives an erasure of their id.
                log.warning("ответов ждут отправки: %d, канал %s: %s", len(outgoing), ref.channel, error)
            return
        except Exception:
            log.exception("канал %s не доставил ответы; они ждут отправки", channel.name)
            return
        async with self.db.transaction() as tx:
            await tx.outbox.mark_sent([o.id for o in outgoing])
            erased = await tx.outbox.erase_delivered([o.id for o in outgoing])
        if erased:
            await self._after_erasure()

    # -- lifecycle -------------------------------------------------------------------------

    async def recover(self) -> int:
        """Process what was stored but not processed before the last stop; send what is pending.
        Each such event counts one more attempt, so one that crashes the process at every start
        becomes a dead letter instead of a crash loop."""
        tried = await self._retry_open(None)
        for name, channel in self.channels.items():
            if channel.capabilities.pull_delivery:
                continue
            # The replies of one event to one resident are handed over together, as they were the
            # first time: a channel that joins a delivery's replies into one message (VK) then
            # makes the same message, with the same idempotency key, and the platform drops it if
            # it was sent before the stop.
            together: dict[tuple[str, int | None], list[Outgoing]] = {}
            for row in await self.db.reader.outbox.pending(name):
                key = (row.external_id, row.inbox_id if row.inbox_id is not None else -row.id)
                together.setdefault(key, []).append(Outgoing(row.id, Reply.model_validate_json(row.payload)))
            for (external_id, _), outgoing in together.items():
                await self._push(channel, ResidentRef(channel=name, external_id=external_id), outgoing)
        return tried

    async def drain(self, timeout: float) -> None:
        """Wait for events in flight and deliveries under way to finish (graceful shutdown)."""
        self._stopping = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._tasks and loop.time() < deadline:
            await asyncio.wait(set(self._tasks), timeout=deadline - loop.time())
        if self._worker is not None:
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
