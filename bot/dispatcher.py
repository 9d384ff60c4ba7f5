"""The dispatcher: from a stored event to stored replies, exactly once.

The path of every event, whatever its channel:

1. ``accept``: the event is written to the inbox and committed. Only then may the channel tell
   its platform that the update arrived (webhook 200, next poll offset, HTTP answer). A
   (channel, update id) seen before is recognised here and not stored again.
2. ``process``: in one transaction, the resident is found or created, the handler for the
   resident's current step runs, the new state and every reply are written, and the inbox row
   is marked processed. A crash before the commit leaves the event unprocessed; ``recover``
   processes it at the next start. A crash after it leaves nothing to redo.
3. Replies are handed to the channel after the commit and marked sent when it succeeds;
   those left pending are sent again at the next start.

Events of one resident are processed one at a time and in order (a lock per resident);
all writes share the storage's single write path.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Iterable, Mapping

from bot.channel import Channel, DeliveryError, Outgoing
from bot.config import Settings
from bot.events import Event, Photo, ResidentRef
from bot.i18n import Texts
from bot.locks import KeyedLocks
from bot.replies import Reply
from bot.routing import Context, Router, route
from storage.attachments import AttachmentStore, NotAnImage
from storage.database import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Handled:
    inbox_id: int | None
    duplicate: bool
    replies: list[Outgoing]


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
        self._resident_locks = KeyedLocks()
        self._tasks: set[asyncio.Task] = set()

    # -- the channel-facing side -------------------------------------------------------------

    async def accept(self, event: Event) -> int | None:
        """Store the event durably; ``None`` when it is a duplicate of one already stored."""
        async with self.db.transaction() as tx:
            return await tx.inbox.store(event.ref.channel, event.update_id, event.model_dump_json())

    async def handle(self, event: Event) -> Handled:
        """Accept and process at once, for channels that answer in the same request."""
        inbox_id = await self.accept(event)
        if inbox_id is None:
            earlier = await self.db.reader.inbox.find(event.ref.channel, event.update_id)
            rows = await self.db.reader.outbox.for_inbox(earlier) if earlier else []
            return Handled(earlier, True, [Outgoing(r.id, Reply.model_validate_json(r.payload)) for r in rows])
        return Handled(inbox_id, False, await self.process(inbox_id, event))

    def process_in_background(self, inbox_id: int) -> None:
        task = asyncio.get_running_loop().create_task(self._process_logged(inbox_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process_logged(self, inbox_id: int) -> None:
        try:
            await self.process(inbox_id)
        except Exception:
            log.exception("processing inbox row %s failed; it stays in the inbox for the next start", inbox_id)

    # -- processing ------------------------------------------------------------------------

    async def process(self, inbox_id: int, event: Event | None = None) -> list[Outgoing]:
        if event is None:
            payload = await self.db.reader.inbox.load_unprocessed(inbox_id)
            if payload is None:
                return []
            event = Event.model_validate_json(payload)
        async with self._resident_locks.hold(event.ref):
            event = await self._fetch_photos(event)
            try:
                outgoing = await self._run_handlers(inbox_id, event)
            except Exception as error:
                log.exception("handler failed on inbox row %s", inbox_id)
                outgoing = await self._record_failure(inbox_id, event, error)
            if outgoing:
                await self._deliver(event, outgoing)
            return outgoing

    async def _run_handlers(self, inbox_id: int, event: Event) -> list[Outgoing]:
        channel = self.channels.get(event.ref.channel)
        pull = channel is not None and channel.capabilities.pull_delivery
        async with self.db.transaction() as tx:
            if await tx.inbox.load_unprocessed(inbox_id) is None:
                return []  # processed by an earlier run (a restart raced a retry)
            resident = await tx.residents.get_or_create(event.ref.channel, event.ref.external_id)
            ctx = Context(event=event, resident=resident, db=tx, settings=self.settings,
                          texts=self.texts, prompts=self.prompts)
            await route(self.routers, ctx)
            await ctx.finish()
            if not ctx.forgotten:
                await tx.residents.save_state(resident.id, resident.state, resident.state_data)
            await tx.inbox.mark_processed(inbox_id)
            payloads = [reply.model_dump_json() for reply in ctx.replies]
            ids = await tx.outbox.add(event.ref.channel, event.ref.external_id, payloads, inbox_id, delivered=pull)
        return [Outgoing(i, r) for i, r in zip(ids, ctx.replies)]

    async def _record_failure(self, inbox_id: int, event: Event, error: Exception) -> list[Outgoing]:
        """Never silence: the resident hears that something went wrong; the event is closed."""
        channel = self.channels.get(event.ref.channel)
        pull = channel is not None and channel.capabilities.pull_delivery
        language = self.texts.resolve(event.language_hint or self.texts.default)
        reply = Reply(text=self.texts.get(language, "errors.internal"))
        async with self.db.transaction() as tx:
            await tx.inbox.mark_processed(inbox_id, error=f"{type(error).__name__}: {error}"[:500])
            ids = await tx.outbox.add(event.ref.channel, event.ref.external_id, [reply.model_dump_json()],
                                      inbox_id, delivered=pull)
        return [Outgoing(ids[0], reply)]

    async def _fetch_photos(self, event: Event) -> Event:
        """Bring photos still on the platform into the attachment store before the handler."""
        if not any(photo.remote_id and not photo.file_key for photo in event.photos):
            return event
        channel = self.channels.get(event.ref.channel)
        fetched: list[Photo] = []
        for photo in event.photos:
            if photo.file_key or channel is None:
                fetched.append(photo)
                continue
            try:
                data = await channel.download(photo)
                key, mime = await self.attachments.put_image(data)
                fetched.append(photo.model_copy(update={"file_key": key, "mime_type": mime, "size": len(data)}))
            except (DeliveryError, NotAnImage, OSError) as error:
                log.warning("photo %s from %s not fetched: %s", photo.remote_id, event.ref.channel, error)
        return event.model_copy(update={"photos": tuple(fetched)})

    # -- delivery --------------------------------------------------------------------------

    async def _deliver(self, event: Event, outgoing: list[Outgoing]) -> None:
        channel = self.channels.get(event.ref.channel)
        if channel is None:
            log.warning("no channel %r is running; %d replies stay pending", event.ref.channel, len(outgoing))
            return
        if channel.capabilities.pull_delivery:
            await channel.deliver(event.ref, outgoing)
            return
        await self._push(channel, event.ref, outgoing)

    async def _push(self, channel: Channel, ref, outgoing: list[Outgoing]) -> None:
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
        """Wait for events in flight to finish (graceful shutdown)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
