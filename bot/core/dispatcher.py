"""The dispatcher: from a stored event to stored replies, exactly once — the core's one face to
the application, its channels and the panel, made of three parts:

1. Stored (``bot.core.intake``): a push channel's events are written to the inbox and committed
   before it acknowledges its platform; the web chat's are stored and processed in one
   transaction before the HTTP answer. A (channel, update id) seen before is not processed again.
2. Processed (``bot.core.worker``, in batches sharing one transaction; ``bot.core.attempts`` for
   stored events, retries and dead letters): photos still on the platform are fetched first
   where they are asked for (``bot.core.photos``); the resident is found or created, the handler
   for the resident's step runs, the new state and every reply are written, the inbox row marked
   processed. A crash before the commit leaves the event stored and unprocessed; ``recover``
   processes it at the next start, and ``retry_stored`` (a periodic pass) while the bot runs.
   After the commit nothing is redone. Jobs a handler asked for with ``Context.after_commit``
   (an SMS) start after the commit; a rollback drops them.
3. Delivered (``bot.core.delivery``): replies are handed to the channel after the commit and
   marked sent when it succeeds; those left pending are sent again at the next start, and by
   ``retry_stored`` once they have waited a while (a process of a cluster killed before sending).
"""
from __future__ import annotations

import asyncio
import functools
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable, Iterable, Mapping

from bot.core.attempts import Attempts
from bot.core.background import Background
from bot.core.channel import Channel, Handled, Step
from bot.core.delivery import Delivery
from bot.core.erasure import after_erasure
from bot.core.events import Event, ResidentRef
from bot.core.i18n import Texts
from bot.core.intake import Intake
from bot.core.layout import Layout
from bot.core.metrics import Metrics
from bot.core.notices import Notices
from bot.core.photos import PhotoGate
from bot.core.replies import Reply
from bot.core.routing import Router, prompts_of
from bot.core.settings import CoreSettings
from bot.core.worker import BatchWorker
from storage.attachments import AttachmentStore
from storage.ports.repositories import Database, Repositories


class Dispatcher:
    def __init__(self, db: Database, settings: CoreSettings, texts: Texts, routers: Iterable[Router],
                 channels: Mapping[str, Channel], attachments: AttachmentStore, metrics: Metrics | None = None) -> None:
        self.db = db
        self.metrics = metrics if metrics is not None else Metrics()
        self.settings = settings
        self.texts = texts
        routers = tuple(routers)
        self.channels = channels
        self.attachments = attachments
        self.prompts = prompts_of(routers)  # steps that need consent show the consent gate instead
        self.photo_steps = {state: rule for router in routers for state, rule in router.photo_steps.items()}
        erased = functools.partial(after_erasure, db, attachments)
        self._background = Background()
        layout = Layout(channels, texts)
        self._photos = PhotoGate(db, settings, channels, attachments, self.photo_steps)
        self._delivery = Delivery(db, channels, self._background, erased, self.metrics)
        self._worker = BatchWorker(db, settings, texts, routers, self.prompts, channels, layout,
                                   self._photos, self._delivery, self._background, erased, self.metrics)
        self._attempts = Attempts(db, settings, self._worker, self._background, self.metrics)
        self._intake = Intake(db, self._worker, self._attempts, self.metrics)
        self._notices = Notices(db, texts, layout, self._delivery)

    @property
    def routers(self) -> tuple[Router, ...]:
        """The routers in the order they are tried (a test may put one in front)."""
        return self._worker.routers

    @routers.setter
    def routers(self, routers: Iterable[Router]) -> None:
        self._worker.routers = tuple(routers)

    def on_commit(self, name: str, job: Callable[[Any], Awaitable[object]]) -> None:
        """Register the job that ``Context.after_commit(name, argument)`` runs once committed."""
        self._worker.on_commit(name, job)

    # -- the channel-facing side (``Inbound``) -----------------------------------------------

    async def submit(self, events: list[Event]) -> list[int | None]:
        return await self._intake.submit(events)

    async def accept(self, event: Event) -> int | None:
        return await self._intake.accept(event)

    async def accept_many(self, events: list[Event]) -> list[int | None]:
        return await self._intake.accept_many(events)

    async def accept_unparseable(self, channel: str, body: bytes | str | Any, reason: str) -> int | None:
        return await self._intake.accept_unparseable(channel, body, reason)

    async def handle(self, event: Event) -> Handled:
        return await self._intake.handle(event)

    async def step_of(self, ref: ResidentRef) -> Step:
        return await self._photos.step_of(ref)

    def process_in_background(self, inbox_id: int) -> None:
        self._attempts.process_in_background(inbox_id)

    # -- attempts at stored events, notices ------------------------------------------------

    def retry_in_background(self, inbox_id: int) -> None:
        self._attempts.retry_in_background(inbox_id)

    async def retry_stored(self) -> int:
        """The periodic pass: the stored events left unprocessed, then the replies left unsent,
        each once it has waited ``inbox.retry_older_than_seconds``; how many events were tried."""
        tried = await self._attempts.retry_stored()
        settle = timedelta(seconds=self.settings.inbox.retry_older_than_seconds)
        await self._delivery.send_pending(written_before=(datetime.now(timezone.utc) - settle).isoformat(
            timespec="microseconds"))
        return tried

    async def notify(self, build: Callable[[Repositories], Awaitable[list[tuple[ResidentRef, Reply]]]]) -> int:
        return await self._notices.notify(build)

    # -- lifecycle -------------------------------------------------------------------------

    async def recover(self) -> int:
        """Process what was stored but not processed before the last stop; send what is pending.
        Each such event counts one more attempt, so one that crashes the process at every start
        becomes a dead letter instead of a crash loop."""
        tried = await self._attempts.retry_open(None)
        await self._delivery.send_pending()
        return tried

    async def recover_channel(self, channel: str) -> int:
        """Process what ``channel`` stored and left open, oldest first, and wait for it: a long
        poll taken over from a process killed mid-way calls it before fetching anything new, so
        a resident's updates stored by the dead receiver are processed before their next ones
        (``recover`` does the same at a start). Rows another process is processing are passed by."""
        return await self._attempts.retry_open(None, channel)

    async def drain(self, timeout: float) -> None:
        """Wait for events in flight and deliveries under way to finish (graceful shutdown)."""
        self._attempts.stopping = True
        deadline = asyncio.get_running_loop().time() + timeout
        await self._background.wait(deadline)
        await self._worker.stop(deadline)
