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
   unprocessed; ``recover`` processes it at the next start. After the commit nothing is redone.
3. Delivered: replies are handed to the channel after the commit and marked sent when it
   succeeds; those left pending are sent again at the next start.

Why batches: SQLite takes one writer at a time and every statement is a hop to aiosqlite's
thread, so one transaction per event caps the rate at the hop latency. A single worker takes
whatever events are waiting and processes them in one transaction (group commit): the same
number of handler queries, but the fixed costs (begin, commit, inbox and outbox rows, state
writes) are paid once per batch. If any handler in a batch fails, the batch is rolled back and
its events are processed again one by one, so one bad event cannot take others down with it.

Events of one resident are handled one at a time and in order: a lock per resident is held
from loading the event to the end of its processing.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Iterable, Mapping

from bot.channel import Channel, DeliveryError, Outgoing
from bot.config import Settings
from bot.events import Event, Photo, ResidentRef
from bot.i18n import Texts
from bot.locks import KeyedLocks
from bot.replies import Reply
from bot.routing import Context, Router, route
from storage.attachments import AttachmentStore, ImageTooLarge, NotAnImage, QuotaExceeded
from storage.database import Database
from storage.repositories import Repositories
from storage.residents import Resident

log = logging.getLogger(__name__)

MAX_BATCH = 64


@dataclass(frozen=True)
class Handled:
    inbox_id: int | None
    duplicate: bool
    replies: list[Outgoing]


@dataclass
class Work:
    """One event waiting for the worker; ``inbox_id`` is None until it is stored."""

    event: Event
    inbox_id: int | None
    done: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    replies: list[Outgoing] = field(default_factory=list)
    duplicate: bool = False


class Dispatcher:
    def __init__(self, db: Database, settings: Settings, texts: Texts, routers: Iterable[Router],
                 channels: Mapping[str, Channel], attachments: AttachmentStore) -> None:
        self.db = db
        self.settings = settings
        self.texts = texts
        self.routers = tuple(routers)
        self.channels = channels
        self.attachments = attachments
        self.prompts = {state: fn for router in self.routers for state, fn in router.prompts.items()}
        if "" not in self.prompts:
            raise ValueError("one router must register the prompt of the empty state (the main menu)")
        self.photo_steps = {state: rule for router in self.routers for state, rule in router.photo_steps.items()}
        self._resident_locks = KeyedLocks()
        self._delivery_locks = KeyedLocks()  # one resident's replies leave in the order written
        self._queue: asyncio.Queue[Work] = asyncio.Queue()
        self._worker: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()

    # -- the channel-facing side -------------------------------------------------------------

    async def accept(self, event: Event) -> int | None:
        """Store the event durably; ``None`` when it is a duplicate of one already stored."""
        return (await self.accept_many([event]))[0]

    async def accept_many(self, events: list[Event]) -> list[int | None]:
        """Store a batch of events (a poll's worth) in one commit; ``None`` marks duplicates."""
        async with self.db.transaction() as tx:
            stored = await tx.inbox.store_many(
                [(e.ref.channel, e.update_id, e.model_dump_json()) for e in events])
        return [stored.get((e.ref.channel, e.update_id)) for e in events]

    async def handle(self, event: Event) -> Handled:
        """Store and process at once, for channels that answer in the same request."""
        async with self._resident_locks.hold(event.ref):
            work = await self._submit(Work(await self._fetch_photos(event), None))
        if work.duplicate:
            earlier = await self.db.reader.inbox.find(event.ref.channel, event.update_id)
            rows = await self.db.reader.outbox.for_inbox(earlier) if earlier else []
            return Handled(earlier, True, [Outgoing(r.id, Reply.model_validate_json(r.payload)) for r in rows])
        return Handled(work.inbox_id, False, work.replies)

    def process_in_background(self, inbox_id: int) -> None:
        self._track(self._process_logged(inbox_id))

    async def process(self, inbox_id: int) -> list[Outgoing]:
        """Process a stored event (no-op when it was processed already)."""
        payload = await self.db.reader.inbox.load_unprocessed(inbox_id)
        if payload is None:
            return []
        event = Event.model_validate_json(payload)
        async with self._resident_locks.hold(event.ref):
            work = await self._submit(Work(await self._fetch_photos(event), inbox_id))
        return work.replies

    async def _process_logged(self, inbox_id: int) -> None:
        try:
            await self.process(inbox_id)
        except Exception:
            log.exception("processing inbox row %s failed; it stays in the inbox for the next start", inbox_id)

    def _track(self, coroutine) -> asyncio.Task:
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
            except Exception as error:  # never leave a caller waiting
                log.exception("a batch of %d events failed outside the handlers", len(batch))
                for work in batch:
                    if not work.done.done():
                        work.done.set_exception(error)

    async def _run_batch(self, batch: list[Work]) -> None:
        try:
            await self._process_batch(batch)
        except Exception as error:
            if len(batch) > 1:
                log.warning("a batch of %d failed (%s: %s); processing its events one by one",
                            len(batch), type(error).__name__, error)
                for work in batch:
                    await self._run_batch([work])
                return
            log.exception("handler failed on %s update %s", batch[0].event.ref.channel, batch[0].event.update_id)
            await self._record_failure(batch[0], error)
        for work in batch:
            if work.replies:
                self._deliver(work.event.ref, work.replies)
            if not work.done.done():
                work.done.set_result(work)

    async def _process_batch(self, batch: list[Work]) -> None:
        async with self.db.transaction() as tx:
            live, duplicates = await self._store_and_filter(tx, batch)
            residents = await tx.residents.get_or_create_many(
                [(w.event.ref.channel, w.event.ref.external_id) for w, _ in live])
            changed, outgoing = [], []
            for work, inbox_id in live:
                # One event per resident per batch: the resident lock is held until it is done.
                resident = residents[(work.event.ref.channel, work.event.ref.external_id)]
                ctx = Context(event=work.event, resident=resident, db=tx, settings=self.settings,
                              texts=self.texts, prompts=self.prompts)
                await route(self.routers, ctx)
                await ctx.finish()
                if not ctx.forgotten:
                    changed.append(resident)
                outgoing.extend((work, inbox_id, reply) for reply in ctx.replies)
            await tx.residents.save_states(changed)
            stored_before = [inbox_id for work, inbox_id in live if work.inbox_id is not None]
            if stored_before:
                await tx.inbox.mark_processed_many(stored_before)
            ids = await tx.outbox.add_many(
                [(w.event.ref.channel, w.event.ref.external_id, inbox_id, r.model_dump_json(),
                  self._pulls(w.event.ref.channel)) for w, inbox_id, r in outgoing])
        # Committed: only now do the callers learn the ids.
        for work, inbox_id in live:
            work.inbox_id = inbox_id
        for work in duplicates:
            work.duplicate = True
        for (work, _, reply), outbox_id in zip(outgoing, ids):
            work.replies.append(Outgoing(outbox_id, reply))

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
        """Never silence: the resident hears that something went wrong; the event is closed."""
        event = work.event
        language = self.texts.resolve(event.language_hint or self.texts.default)
        reply = Reply(text=self.texts.get(language, "errors.internal"))
        async with self.db.transaction() as tx:
            if work.inbox_id is None:
                stored = await tx.inbox.store_many([(event.ref.channel, event.update_id, event.model_dump_json())])
                work.inbox_id = stored.get((event.ref.channel, event.update_id))
                if work.inbox_id is None:
                    work.duplicate = True
                    return
            await tx.inbox.mark_processed(work.inbox_id, error=f"{type(error).__name__}: {error}"[:500])
            ids = await tx.outbox.add_many([(event.ref.channel, event.ref.external_id, work.inbox_id,
                                             reply.model_dump_json(), self._pulls(event.ref.channel))])
        work.replies = [Outgoing(ids[0], reply)]

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

    def _asks_for_photos(self, resident: Resident) -> bool:
        rule = self.photo_steps.get(resident.state)
        return rule is not None and rule(resident)

    async def _store_photo(self, channel: Channel, event: Event, photo: Photo) -> Photo:
        try:
            data = await channel.download(photo)
            key, mime = await self.attachments.put_image(data)
        except DeliveryError as error:
            log.warning("photo %s from %s not fetched: %s", photo.remote_id, event.ref.channel, error)
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
            messages = await build(tx)
            ids = await tx.outbox.add_many(
                [(ref.channel, ref.external_id, None, reply.model_dump_json(), self._pulls(ref.channel))
                 for ref, reply in messages])
        by_resident: dict[ResidentRef, list[Outgoing]] = {}
        for (ref, reply), outbox_id in zip(messages, ids):
            by_resident.setdefault(ref, []).append(Outgoing(outbox_id, reply))
        for ref, outgoing in by_resident.items():
            self._deliver(ref, outgoing)
        return len(messages)

    # -- delivery --------------------------------------------------------------------------

    def _pulls(self, channel_name: str) -> bool:
        channel = self.channels.get(channel_name)
        return channel is not None and channel.capabilities.pull_delivery

    def _deliver(self, ref: ResidentRef, outgoing: list[Outgoing]) -> None:
        channel = self.channels.get(ref.channel)
        if channel is None:
            log.warning("no channel %r is running; %d replies stay pending", ref.channel, len(outgoing))
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
                    resident = await tx.residents.find(ref.channel, ref.external_id)
                    if resident is not None:
                        await tx.residents.set_reachable(resident.id, False)
            else:
                log.warning("replies to %s stay pending: %s", ref, error)
            return
        except Exception:
            log.exception("channel %s failed to deliver; replies stay pending", channel.name)
            return
        async with self.db.transaction() as tx:
            await tx.outbox.mark_sent([o.id for o in outgoing])

    # -- lifecycle -------------------------------------------------------------------------

    async def recover(self) -> int:
        """Process what was stored but not processed before the last stop; send what is pending."""
        ids = await self.db.reader.inbox.unprocessed_ids()
        for inbox_id in ids:
            await self._process_logged(inbox_id)
        for name, channel in self.channels.items():
            if channel.capabilities.pull_delivery:
                continue
            for row in await self.db.reader.outbox.pending(name):
                ref = ResidentRef(channel=name, external_id=row.external_id)
                await self._push(channel, ref, [Outgoing(row.id, Reply.model_validate_json(row.payload))])
        if ids:
            log.info("recovered %d stored events", len(ids))
        return len(ids)

    async def drain(self, timeout: float) -> None:
        """Wait for events in flight and deliveries under way to finish (graceful shutdown)."""
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
