"""The web chat channel. Its delivery is the outbox itself: the browser reads replies with a
long poll (``GET /api/webchat/messages?after=N``), so ``deliver`` only wakes the waiting polls
(``transport``). Messages come in through ``inbound`` (parsed by ``parse``, answered with the
replies as ``render`` shows them, in the same request).

A session token (``channels.webchat.sessions``) identifies the browser; it travels in the
``X-Session`` header, never in an address that proxies and logs keep.

A photo upload is held in memory (``StagedUploads``) for its request only; ``download`` is how
the dispatcher's photo gate takes it, as it fetches a messenger's photo from the platform.
"""
from __future__ import annotations

from aiohttp import web

from bot.config import Settings
from bot.core.channel import Capabilities, Channel, DeliveryError, Fitted, Inbound, Throughput
from bot.core.events import Photo, ResidentRef
from channels.webchat.inbound import WebChatApi
from channels.webchat.longpolls import LongPolls
from channels.webchat.page import ChatPage
from channels.webchat.sessions import NAME, SESSION, session_ref
from channels.webchat.staging import StagedUploads
from channels.webchat.transport import Outbox
from storage.attachments import AttachmentStore
from storage.ports.channels import PulledReplies

__all__ = ["NAME", "SESSION", "WebChatChannel", "session_ref"]  # the session's names, as before they moved


class WebChatChannel(Channel):
    name = NAME
    capabilities = Capabilities(max_text_length=10_000, max_buttons_per_row=3, max_button_rows=20,
                                max_button_label=80, pull_delivery=True, request_photo=True)

    def __init__(self, settings: Settings, storage: PulledReplies, attachments: AttachmentStore) -> None:
        self.settings = settings
        self.storage = storage
        self.attachments = attachments
        self.outbox = Outbox(storage)
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
        self.outbox.wake_all()

    async def deliver_fitted(self, ref: ResidentRef, messages: list[Fitted]) -> None:
        self.replies_written(ref)

    def replies_written(self, ref: ResidentRef) -> None:
        self.outbox.wake(ref)

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
        await self.outbox.write(refs, reply.parts)
        return {}

    async def wait_for_replies(self, ref: ResidentRef, after: int, timeout: float) -> list:
        """Replies after ``after``; when there are none yet, wait up to ``timeout`` for one."""
        return await self.outbox.wait(ref, after, timeout)
