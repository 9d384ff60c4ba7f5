"""The Odnoklassniki channel: a group's Bot API, by webhook, with thin aiohttp calls.

OK offers bots no long polling for group messages that the documentation stands behind, so
the bot is reachable only by webhook: at every start it subscribes ``server.public_url`` +
``ok.webhook_path`` (``POST /graph/me/subscribe``), retrying until OK takes it, so a start
during an outage still ends subscribed. Which requests count as OK's is ``channels.ok.inbound``'s
business; the calls and their errors are ``channels.ok.transport``' (which also says why there is
no client library).
"""
from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.config import Settings
from bot.core.channel import Capabilities, Channel, DeliveryError, Fitted, Inbound, Throughput
from bot.core.events import Photo, ResidentRef
from bot.core.replies import Reply
from channels.ok.inbound import Webhook
from channels.ok.parse import NAME
from channels.ok.render import render
from channels.ok.transport import OkApi, OkError, classify
from storage.attachments import AttachmentStore
from storage.ports.channels import ChannelStorage

log = logging.getLogger(__name__)

MAX_SUBSCRIBE_PAUSE = 300.0


def _is_chat(external_id: str) -> bool:
    return external_id.startswith("chat:") and len(external_id) > 5 and "/" not in external_id


class OkChannel(Channel):
    name = NAME
    # OK's message text is capped at 4,000 characters (as TamTam's, whose bot API OK's follows);
    # its keyboards allow 7 buttons a row and 30 rows, 3 a row stay readable on a phone. A phone
    # is not asked for: no contact that OK sends back is documented, so OK residents confirm a
    # number by an SMS code, like VK's.
    capabilities = Capabilities(max_text_length=4000, max_buttons_per_row=3, max_button_rows=30,
                                max_button_label=64, inline_buttons=True, request_location=True,
                                request_contact=False)

    def __init__(self, settings: Settings, storage: ChannelStorage, attachments: AttachmentStore) -> None:
        self.settings = settings.ok
        self.app_settings = settings
        self.api = OkApi(self.settings)
        self._core: Inbound | None = None
        self._subscriber: asyncio.Task | None = None
        self._sending = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopped = False

    def setup_routes(self, app: web.Application, core: Inbound) -> None:
        self._core = core
        Webhook(self.settings, core).register(app)

    async def start(self, core: Inbound) -> None:
        self._core = core
        self._subscriber = asyncio.create_task(self._subscribe(), name="ok-subscribe")

    async def _subscribe(self) -> None:
        url = self.app_settings.server.public_url.rstrip("/") + self.settings.webhook_path
        pause = self.settings.retry_backoff_seconds
        while True:
            try:
                answer = await self.api.call("me/subscribe", {"url": url})
                if answer.get("success") is not False:
                    log.info("вебхук ОК подписан: %s", url)
                    return
                log.error("ОК отказал в подписке %s: %s", url, answer)
            except DeliveryError as error:
                log.error("подписка ОК на %s не удалась: %s; снова через %.0f с", url, error, pause)
            await asyncio.sleep(pause)
            pause = min(max(pause * 2, 1.0), MAX_SUBSCRIBE_PAUSE)

    async def stop(self) -> None:
        """Stop subscribing, let sends in flight finish, close the HTTP session. Replies that
        reach ``deliver`` after this stay in the outbox for the next start."""
        self._stopped = True
        if self._subscriber is not None:
            self._subscriber.cancel()
            await asyncio.gather(self._subscriber, return_exceptions=True)
        try:
            await asyncio.wait_for(self._idle.wait(), self.app_settings.server.shutdown_grace_seconds)
        except asyncio.TimeoutError:
            log.warning("ОК: при остановке ещё шли отправки; их ответы ждут отправки")
        await self.api.close()

    def _busy(self, delta: int) -> None:
        self._sending += delta
        if self._sending:
            self._idle.clear()
        else:
            self._idle.set()

    async def deliver_fitted(self, ref: ResidentRef, messages: list[Fitted]) -> None:
        if self._stopped:
            raise DeliveryError("the ok channel is stopping")
        if not _is_chat(ref.external_id):
            raise DeliveryError(f"{ref.external_id!r} is not an OK chat id", permanent=True)
        self._busy(1)
        try:
            for outgoing in messages:
                for reply in outgoing.parts:
                    for body in render(reply, ref.external_id):
                        await self.api.call(f"me/messages/{ref.external_id}", body)
        finally:
            self._busy(-1)

    def throughput(self) -> Throughput:
        return Throughput(calls_per_second=self.settings.requests_per_second, recipients_per_call=1)

    async def send_fitted_once(self, refs: list[ResidentRef], reply: Fitted,
                               key: str) -> dict[ResidentRef, DeliveryError]:
        """One attempt per resident; a reply that takes several messages stops at the first
        failure, which is what the sender sees."""
        failures: dict[ResidentRef, DeliveryError] = {}
        parts = list(reply.parts)
        for ref in refs:
            if self._stopped:
                failures[ref] = DeliveryError("the ok channel is stopping")
            elif not _is_chat(ref.external_id):
                failures[ref] = DeliveryError(f"{ref.external_id!r} is not an OK chat id", permanent=True)
            else:
                error = await self._send_parts(ref.external_id, parts)
                if error is not None:
                    failures[ref] = error
        return failures

    async def _send_parts(self, chat_id: str, parts: list[Reply]) -> DeliveryError | None:
        self._busy(1)
        try:
            for part in parts:
                for body in render(part, chat_id):
                    try:
                        await self.api.once(f"me/messages/{chat_id}", body)
                    except OkError as error:
                        return classify(error).named("ok").as_error()
            return None
        finally:
            self._busy(-1)

    async def download(self, photo: Photo) -> bytes:
        if not photo.remote_id.startswith(("https://", "http://")):
            raise DeliveryError(f"{photo.remote_id!r} is not an OK photo url", permanent=True)
        return await self.api.fetch(photo.remote_id, self.app_settings.proposals.max_photo_bytes)
