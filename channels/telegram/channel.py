"""The Telegram channel: aiogram 3's ``Bot`` as the Bot API client, our own inbound around it.

aiogram is used for what it does well, the typed Bot API calls over one reused aiohttp session
and the mapping of error answers to exceptions; its ``Dispatcher`` is not used, because its
polling acknowledges updates before handlers run (see ``channels.telegram.inbound``). The API
server is a setting, so a local Bot API server or the tests' fake can stand in for Telegram.

Every callback query is answered (``answerCallbackQuery``) once the press is stored, so the
resident's button stops spinning whatever the bot later makes of it.
"""
from __future__ import annotations

import asyncio
import io
import logging
from collections import OrderedDict
from typing import Any, Awaitable, Callable

import aiohttp
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.methods import AnswerCallbackQuery, GetFile, SendPhoto, SetWebhook
from aiogram.types import FSInputFile, InputFile
from aiohttp import web

from bot.config import Settings
from bot.core.channel import Capabilities, Channel, DeliveryError, Fitted, Inbound, Throughput
from bot.core.events import Photo, ResidentRef
from bot.core.replies import Media, Reply
from channels.telegram.inbound import Poller, Webhook, receive
from channels.telegram.parse import ALLOWED_UPDATES, NAME, callback_query_id
from channels.telegram.render import render
from channels.telegram.transport import Caller, classify
from storage.attachments import AttachmentStore
from storage.ports.channels import ChannelStorage

log = logging.getLogger(__name__)

MAX_REGISTER_PAUSE = 300.0


class TelegramChannel(Channel):
    name = NAME
    # 4,096 characters a message; up to 8 inline buttons a row, but 3 stay readable on a phone.
    capabilities = Capabilities(max_text_length=4096, max_buttons_per_row=3, max_button_rows=20,
                                max_button_label=64, inline_buttons=True, request_location=True,
                                request_contact=True, phone_proof="contact")

    def __init__(self, settings: Settings, storage: ChannelStorage, attachments: AttachmentStore) -> None:
        self.settings = settings.telegram
        self.app_settings = settings
        self.attachments = attachments
        # The settings checked that the token is set and well-formed (TelegramSettings).
        assert self.settings.token is not None
        session = AiohttpSession(api=TelegramAPIServer.from_base(self.settings.api_url),
                                 timeout=self.settings.request_timeout_seconds,
                                 limit=self.settings.max_connections)
        self.bot = Bot(token=self.settings.token.get_secret_value(), session=session)
        self.call = Caller(self.bot, self.settings)
        self._core: Inbound | None = None
        self._receiver: asyncio.Task | None = None
        self._side_tasks: set[asyncio.Task] = set()
        self._sending = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopped = False
        self._file_ids: OrderedDict[str, str] = OrderedDict()  # a stored picture's path → file_id, newest last

    # -- receiving ---------------------------------------------------------------------------

    def setup_routes(self, app: web.Application, core: Inbound) -> None:
        if self.settings.mode == "webhook":
            self._core = core
            Webhook(self.settings, core, self._store).register(app)

    async def start(self, core: Inbound) -> None:
        self._core = core
        if self.settings.mode == "webhook":
            self._receiver = asyncio.create_task(self._register_webhook(), name="telegram-setwebhook")

    def identity(self) -> str:
        assert self.settings.token is not None
        return self.settings.token.get_secret_value()

    def long_poll(self) -> Callable[[], Awaitable[None]] | None:
        return self._poll if self.settings.mode != "webhook" else None

    async def _poll(self) -> None:
        """getUpdates until cancelled; a new poller each time, so that a process that takes the
        poll over starts without an offset and gets what Telegram has not yet been told of."""
        assert self._core is not None
        await Poller(self.bot, self.settings, self._core, self._store).run()

    async def _store(self, update: dict[str, Any]) -> None:
        """Hand one update to the core (``inbound.receive``), then stop a pressed button's
        spinner."""
        assert self._core is not None
        if not await receive(self._core, update):
            return
        query_id = callback_query_id(update)
        if query_id is not None and not self._stopped:
            self._in_background(self._answer_callback(query_id))

    async def _answer_callback(self, query_id: str) -> None:
        try:
            await self.call(AnswerCallbackQuery(callback_query_id=query_id))
        except DeliveryError as error:  # too old after a restart, or Telegram is away: cosmetic
            log.info("Telegram: нажатие %s осталось без ответа: %s", query_id, error)

    async def _register_webhook(self) -> None:
        """``setWebhook`` with the secret; retried until Telegram takes it, so a start during an
        outage still ends with a working webhook."""
        settings = self.settings
        assert settings.webhook_secret is not None
        url = self.app_settings.server.public_url.rstrip("/") + settings.webhook_path
        method = SetWebhook(url=url, secret_token=settings.webhook_secret.get_secret_value(),
                            allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
        pause = settings.retry_backoff_seconds
        while True:
            try:
                await self.call(method)
                log.info("вебхук Telegram установлен: %s", url)
                return
            except DeliveryError as error:
                log.error("Telegram setWebhook на %s не удался: %s; снова через %.0f с", url, error, pause)
            await asyncio.sleep(pause)
            pause = min(max(pause * 2, 1.0), MAX_REGISTER_PAUSE)

    def _in_background(self, coroutine) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._side_tasks.add(task)
        task.add_done_callback(self._side_tasks.discard)

    async def stop(self) -> None:
        """Stop receiving, let sends in flight finish, close the HTTP session.

        Replies that reach ``deliver`` after this are refused as a transient failure: they stay
        in the outbox, and the next start sends them.
        """
        self._stopped = True
        tasks = [t for t in (self._receiver, *self._side_tasks) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            await asyncio.wait_for(self._idle.wait(), self.app_settings.server.shutdown_grace_seconds)
        except asyncio.TimeoutError:
            log.warning("Telegram: при остановке ещё шли отправки; их ответы ждут отправки")
        await self.bot.session.close()

    # -- sending -----------------------------------------------------------------------------

    async def deliver_fitted(self, ref: ResidentRef, messages: list[Fitted]) -> None:
        if self._stopped:
            raise DeliveryError("the telegram channel is stopping")
        if not ref.external_id.lstrip("-").isdigit():
            raise DeliveryError(f"{ref.external_id!r} is not a Telegram chat id", permanent=True)
        chat_id = int(ref.external_id)
        self._sending += 1
        self._idle.clear()
        try:
            for outgoing in messages:
                for reply in outgoing.parts:
                    for method in render(reply, chat_id, self._media_source):
                        self._remember_upload(method, await self.call(method))
        finally:
            self._sending -= 1
            if self._sending == 0:
                self._idle.set()

    def throughput(self) -> Throughput:
        return Throughput(calls_per_second=self.settings.broadcast_per_second, recipients_per_call=1)

    async def send_fitted_once(self, refs: list[ResidentRef], reply: Fitted,
                               key: str) -> dict[ResidentRef, DeliveryError]:
        """One attempt per resident (``recipients_per_call`` is 1), errors as ``channels.telegram.transport.classify``
        maps them. A reply that takes several Bot API calls (media, then the text) stops at the
        first failure; the sender sees that failure."""
        failures: dict[ResidentRef, DeliveryError] = {}
        parts = list(reply.parts)
        for ref in refs:
            if self._stopped:
                failures[ref] = DeliveryError("the telegram channel is stopping")
                continue
            if not ref.external_id.lstrip("-").isdigit():
                failures[ref] = DeliveryError(f"{ref.external_id!r} is not a Telegram chat id", permanent=True)
                continue
            error = await self._send_parts(int(ref.external_id), parts)
            if error is not None:
                failures[ref] = error
        return failures

    async def _send_parts(self, chat_id: int, parts: list[Reply]) -> DeliveryError | None:
        self._sending += 1
        self._idle.clear()
        try:
            for part in parts:
                for method in render(part, chat_id, self._media_source):
                    try:
                        await self.bot(method, request_timeout=self.settings.request_timeout_seconds)
                    except Exception as error:  # each failure is the sender's to judge
                        return classify(error).named(type(method).__name__).as_error()
            return None
        finally:
            self._sending -= 1
            if self._sending == 0:
                self._idle.set()

    def _media_source(self, media: Media) -> InputFile | str:
        if media.file_key:
            path = str(self.attachments.path_of(media.file_key))
            if media.kind == "photo" and path in self._file_ids:
                self._file_ids.move_to_end(path)
                return self._file_ids[path]
            return FSInputFile(path)
        return media.url

    def _remember_upload(self, method: Any, sent: Any) -> None:
        """The file_id Telegram gave a stored picture the first time it was sent: later sends
        name it instead of uploading it again (a map poll's picture goes to every voter)."""
        if isinstance(method, SendPhoto) and isinstance(method.photo, FSInputFile) and getattr(sent, "photo", None):
            self._file_ids[str(method.photo.path)] = sent.photo[-1].file_id
            while len(self._file_ids) > self.settings.uploaded_photos_kept:
                self._file_ids.popitem(last=False)

    async def download(self, photo: Photo) -> bytes:
        """``getFile``, then the file itself from the API server's file URL."""
        limit = self.app_settings.proposals.max_photo_bytes
        if photo.size > limit:
            raise DeliveryError(f"the photo is {photo.size} bytes, over {limit}", permanent=True)
        file = await self.call(GetFile(file_id=photo.remote_id))
        if not file.file_path:
            raise DeliveryError("telegram gives no file_path (files over 20 MB)", permanent=True)
        if (file.file_size or 0) > limit:
            raise DeliveryError(f"the photo is {file.file_size} bytes, over {limit}", permanent=True)
        try:
            data = await self.bot.download_file(file.file_path, io.BytesIO(),
                                                 timeout=self.settings.request_timeout_seconds)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise DeliveryError(f"downloading {file.file_path} failed: {error!r}") from error
        assert data is not None
        content = data.read()
        if len(content) > limit:
            raise DeliveryError(f"the photo is {len(content)} bytes, over {limit}", permanent=True)
        return content
