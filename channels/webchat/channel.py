"""The web chat channel. Its delivery is the outbox itself: the browser reads replies with a
long poll (``GET /api/webchat/messages?after=N``), so ``deliver`` only wakes the waiting polls.

A session token (``channels.webchat.sessions``) identifies the browser; it travels in the
``X-Session`` header, never in an address that proxies and logs keep.

A photo upload is held in memory (``StagedUploads``) for its request only; ``download`` is how
the dispatcher's photo gate takes it, as it fetches a messenger's photo from the platform.
"""
from __future__ import annotations

import asyncio
from collections import defaultdict

from aiohttp import web

from bot.core.channel import Capabilities, Channel, DeliveryError, Fitted, Inbound, Throughput
from bot.config import Settings
from bot.core.events import Photo, ResidentRef
from channels.webchat.api import WebChatApi
from channels.webchat.longpolls import LongPolls
from channels.webchat.page import ChatPage
from channels.webchat.sessions import NAME, SESSION, session_ref
from channels.webchat.staging import StagedUploads
from storage.attachments import AttachmentStore
from storage.database import Database

__all__ = ["NAME", "SESSION", "WebChatChannel", "session_ref"]  # the session's names, as before they moved


class WebChatChannel(Channel):
    name = NAME
    capabilities = Capabilities(max_text_length=10_000, max_buttons_per_row=3, max_button_rows=20,
                                max_button_label=80, pull_delivery=True, request_photo=True)

    def __init__(self, settings: Settings, db: Database, attachments: AttachmentStore) -> None:
        self.settings = settings
        self.db = db
        self.attachments = attachments
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)
        webchat = settings.webchat
        self.uploads = StagedUploads(webchat.uploads_in_memory_mb * 1024 * 1024)
        self.long_polls = LongPolls(webchat.long_polls_per_session, webchat.long_polls_per_address,
                                    webchat.long_polls_total)

    def setup_routes(self, app: web.Application, core: Inbound) -> None:
        ChatPage(self.settings, core).register(app)
        WebChatApi(self, core).register(app)

    async def start(self, core: Inbound) -> None:
        return None

    async def stop(self) -> None:
        for events in self._waiters.values():
            for event in events:
                event.set()

    async def deliver_fitted(self, ref: ResidentRef, messages: list[Fitted]) -> None:
        self.replies_written(ref)

    def replies_written(self, ref: ResidentRef) -> None:
        for event in self._waiters.get(ref.external_id, ()):
            event.set()

    async def download(self, photo: Photo) -> bytes:
        """The staged upload of the request being handled (the photo gate decided to store it)."""
        data = self.uploads.take(photo.remote_id)
        if data is None:
            raise DeliveryError("the upload is no longer held (its request has ended)", permanent=True)
        return data

    def throughput(self) -> Throughput:
        webchat = self.settings.webchat
        return Throughput(calls_per_second=webchat.broadcast_batches_per_second,
                          recipients_per_call=webchat.broadcast_batch)

    async def send_fitted_once(self, refs: list[ResidentRef], reply: Fitted,
                               key: str) -> dict[ResidentRef, DeliveryError]:
        """A broadcast reaches the web chat as outbox rows, which the page reads: one transaction
        writes them for every resident given, then their waiting long polls are woken."""
        parts = [part.model_dump_json() for part in reply.parts]
        rows = [(NAME, ref.external_id, None, payload, True) for ref in refs for payload in parts]
        try:
            async with self.db.transaction() as tx:
                await tx.outbox.add_many(rows)
        except Exception as error:  # nothing was written: the transaction rolled back
            raise DeliveryError(f"web chat outbox not written: {type(error).__name__}: {error}") from error
        for ref in refs:
            for event in self._waiters.get(ref.external_id, ()):
                event.set()
        return {}

    async def wait_for_replies(self, ref: ResidentRef, after: int, timeout: float) -> list:
        """Replies after ``after``; when there are none yet, wait up to ``timeout`` for one."""
        wake = asyncio.Event()
        self._waiters[ref.external_id].add(wake)
        try:
            rows = await self.db.reader.outbox.for_recipient(NAME, ref.external_id, after)
            if rows:
                return rows
            try:
                await asyncio.wait_for(wake.wait(), timeout)
            except asyncio.TimeoutError:
                return []
            return await self.db.reader.outbox.for_recipient(NAME, ref.external_id, after)
        finally:
            waiters = self._waiters.get(ref.external_id)
            if waiters is not None:
                waiters.discard(wake)
                if not waiters:
                    del self._waiters[ref.external_id]
