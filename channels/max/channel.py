"""The MAX channel: long polling by default, a webhook when ``max.mode`` is ``webhook``.

Both ways in (``inbound``) end in ``inbound.receive``: ``core.submit`` the events of an update
(stored in one commit, then processed); then, for a button press, answer the callback (``POST
/answers``) so the resident's client stops showing the press as pending. The answer is sent only
after the press is stored. An update that cannot be read (``parse.NotAnUpdate``) is kept as a
dead letter instead, so that neither a webhook retry nor the next poll brings it back.

Residents are MAX users (``user_id``), written to with ``POST /messages?user_id=…``: a dialog
with the bot is the only place this bot talks (see ``channels.max.parse``).
"""
from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import replace
from typing import Any, Awaitable, Callable

from aiohttp import web

from bot.config import Settings
from bot.core.channel import Channel, DeliveryError, Fitted, Inbound, Throughput
from bot.core.events import Photo, ResidentRef
from channels.max.inbound import Poller, WebhookRoute, receive
from channels.max.parse import NAME, NotAnUpdate, update_from_body
from channels.max.render import CAPABILITIES, render
from channels.max.transport import MaxApi, classify
from storage.attachments import AttachmentStore
from storage.ports.channels import ChannelStorage

log = logging.getLogger(__name__)


class MaxChannel(Channel):
    name = NAME
    capabilities = CAPABILITIES

    def __init__(self, settings: Settings, storage: ChannelStorage, attachments: AttachmentStore) -> None:
        if settings.max.token is None:
            raise ValueError("the MAX channel needs SOUCHASTIE_MAX_TOKEN")
        self.settings = settings
        self.config = settings.max
        self.api = MaxApi(settings.max)
        self._core: Inbound | None = None
        self._answers: set[asyncio.Task] = set()
        self.attachments = attachments
        self._photo_tokens: OrderedDict[str, Any] = OrderedDict()  # attachment key → MAX attachment, newest last

    def setup_routes(self, app: web.Application, core: Inbound) -> None:
        if self.config.mode != "webhook":
            return
        self._core = core
        route = WebhookRoute(self.config.webhook_secret.get_secret_value(), self._take_body,
                             self.config.webhook_max_body_bytes)
        app.router.add_post(self.config.webhook_path, route.handle)

    async def start(self, core: Inbound) -> None:
        self._core = core
        await self.api.open()
        if self.config.mode == "webhook":
            url = self.settings.server.public_url.rstrip("/") + self.config.webhook_path
            await self.api.subscribe(url, self.config.webhook_secret.get_secret_value())
            log.info("MAX: адрес %s подписан на обновления", url)
            return
        try:
            if urls := await self.api.subscription_urls():
                log.warning("MAX: есть подписки вебхуков %s; MAX шлёт обновления им, а не в "
                            "long poll. Удалите их или задайте max.mode: webhook", ", ".join(urls))
        except DeliveryError as error:
            log.warning("MAX: не удалось получить список подписок вебхуков: %s", error)

    def identity(self) -> str:
        assert self.config.token is not None  # checked when the channel was made
        return self.config.token.get_secret_value()

    def long_poll(self) -> Callable[[], Awaitable[None]] | None:
        return self._poll if self.config.mode != "webhook" else None

    async def _poll(self) -> None:
        """GET /updates until cancelled; a new poller each time, so that a process that takes the
        poll over asks without a marker, for everything MAX has not seen committed."""
        await Poller(self.api, self.config, self._take).run()

    async def stop(self) -> None:
        if self._answers:
            await asyncio.wait(set(self._answers), timeout=self.config.request_timeout_seconds)
        await self.api.close()

    async def _take_body(self, body: bytes) -> None:
        """A webhook's body: one update, or a dead letter when it is not one."""
        try:
            update = update_from_body(body)
        except NotAnUpdate as error:
            await self._core.accept_unparseable(NAME, body, str(error))
            return
        if await receive(self._core, update, as_sent=body):
            self._answer_press(update)

    async def _take(self, update: Any) -> None:
        """An update of a long-poll batch, or a dead letter when it cannot be read."""
        if await receive(self._core, update):
            self._answer_press(update)

    def _answer_press(self, update: dict[str, Any]) -> None:
        if update.get("update_type") == "message_callback":
            self._answer_soon(update["callback"]["callback_id"])

    def _answer_soon(self, callback_id: str) -> None:
        async def answer() -> None:
            try:
                await self.api.answer(callback_id)
            except DeliveryError as error:
                log.info("MAX: нажатие осталось без ответа: %s", error)
        task = asyncio.get_running_loop().create_task(answer())
        self._answers.add(task)
        task.add_done_callback(self._answers.discard)

    async def deliver_fitted(self, ref: ResidentRef, messages: list[Fitted]) -> None:
        try:
            user_id = int(ref.external_id)
        except ValueError:
            raise DeliveryError(f"{ref.external_id!r} is not a MAX user id", permanent=True) from None
        for outgoing in messages:
            for part in outgoing.parts:
                for message in render(part):
                    if message.photos:
                        pictures = [await self._uploaded(key) for key in message.photos]
                        message = replace(message, attachments=[*pictures, *message.attachments])
                    await self.api.send(user_id, message)

    async def _uploaded(self, key: str) -> Any:
        """The MAX attachment of a stored picture, uploaded the first time it is sent and reused
        after: a map poll's picture goes to every voter."""
        if key in self._photo_tokens:
            self._photo_tokens.move_to_end(key)
            return self._photo_tokens[key]
        data = await asyncio.to_thread(self.attachments.path_of(key).read_bytes)
        attachment = await self.api.upload_image(data, key.rsplit("/", 1)[-1])
        self._photo_tokens[key] = attachment
        while len(self._photo_tokens) > self.config.uploaded_photos_kept:
            self._photo_tokens.popitem(last=False)
        return attachment

    def throughput(self) -> Throughput:
        return Throughput(calls_per_second=self.config.requests_per_second, recipients_per_call=1)

    async def send_fitted_once(self, refs: list[ResidentRef], reply: Fitted,
                               key: str) -> dict[ResidentRef, DeliveryError]:
        """One ``POST /messages`` per resident (MAX has no multi-recipient send), one attempt;
        errors as ``channels.max.transport.classify`` maps them."""
        failures: dict[ResidentRef, DeliveryError] = {}
        messages = [message for part in reply.parts for message in render(part)]
        for ref in refs:
            try:
                user_id = int(ref.external_id)
            except ValueError:
                failures[ref] = DeliveryError(f"{ref.external_id!r} is not a MAX user id", permanent=True)
                continue
            for message in messages:
                try:
                    await self.api.send_once(user_id, message)
                except DeliveryError as error:  # the channel has stopped
                    failures[ref] = error
                    break
                except Exception as error:  # each failure is the sender's to judge
                    failures[ref] = classify(error).named(f"send to {user_id}").as_error(
                        rate_limit_pause=self.config.rate_limit_pause_seconds)
                    break
        return failures

    async def download(self, photo: Photo) -> bytes:
        return await self.api.download(photo.remote_id, self.settings.proposals.max_photo_bytes)
