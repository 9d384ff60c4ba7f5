"""The generic gateway channel: signed JSON over HTTP both ways (docs/gateway.md).

There is no platform SDK to lean on: the protocol is ours, so the transport is plain aiohttp,
the library the bot's web server already runs on. Inbound events arrive at ``inbound_path`` on
the bot's shared web app (``inbound``: signature checked, stored, then answered); replies are
POSTed to ``outbound_url`` through one reused ``ClientSession`` (``transport``), each part
rendered by ``render`` from a reply the core fitted.
"""
from __future__ import annotations

import aiohttp
from aiohttp import web

from bot.config import Settings
from bot.core.channel import (
    Capabilities,
    Channel,
    DeliveryError,
    Fitted,
    Inbound,
    Throughput,
)
from bot.core.events import Photo, ResidentRef
from channels.body import read_whole
from channels.gateway import render
from channels.gateway.inbound import Webhook
from channels.gateway.parse import NAME
from channels.gateway.transport import Poster
from storage.attachments import AttachmentStore
from storage.ports.channels import GatewayEventIds


class GatewayChannel(Channel):
    name = NAME
    # The gateway decides how to show buttons (and has fallback_text when it cannot), so the
    # limits are generous ones that any JSON consumer can handle.
    capabilities = Capabilities(max_text_length=4096, max_buttons_per_row=3, max_button_rows=10,
                                max_button_label=64, inline_buttons=True, request_location=True,
                                request_contact=True, numbers_shown=True, phone_proof="contact")

    def __init__(self, settings: Settings, storage: GatewayEventIds, attachments: AttachmentStore) -> None:
        self.settings = settings.gateway
        self.app_settings = settings
        self.storage = storage
        self.attachments = attachments
        if self.settings.secret is None or not self.settings.outbound_url:
            raise ValueError("the gateway channel needs SOUCHASTIE_GATEWAY_SECRET and gateway.outbound_url")
        self._session: aiohttp.ClientSession | None = None
        self._poster: Poster | None = None
        self.webhook = Webhook(self.settings, storage)
        self._stopped = False

    # -- receiving ---------------------------------------------------------------------------

    def setup_routes(self, app: web.Application, core: Inbound) -> None:
        self.webhook.core = core
        self.webhook.register(app)

    async def start(self, core: Inbound) -> None:
        self.webhook.core = core
        self._client()

    def _client(self) -> Poster:
        """The one session for every send; made on first use, since recovery may send replies
        left pending by a crash before ``start``."""
        if self._poster is None:
            self._session = aiohttp.ClientSession()
            self._poster = Poster(self._session, self.settings)
        return self._poster

    async def stop(self) -> None:
        self._stopped = True
        self.webhook.stopped = True
        if self._session is not None:
            await self._session.close()

    # -- sending -----------------------------------------------------------------------------

    def _read_file(self, key: str) -> bytes:
        return self.attachments.path_of(key).read_bytes()

    async def deliver_fitted(self, ref: ResidentRef, messages: list[Fitted]) -> None:
        if self._stopped:
            raise DeliveryError("the gateway channel is stopping")
        poster = self._client()
        for outgoing in messages:
            for index, part in enumerate(outgoing.parts):
                # The outbox id is the reply's idempotency key; a split reply numbers its parts.
                key = f"reply-{outgoing.id}-{index}"
                await poster.send(key, render.render(part, key=key, user_id=ref.external_id, read_file=self._read_file))

    def throughput(self) -> Throughput:
        return Throughput(calls_per_second=self.settings.messages_per_second, recipients_per_call=1,
                          idempotent=True)

    async def send_fitted_once(self, refs: list[ResidentRef], reply: Fitted,
                               key: str) -> dict[ResidentRef, DeliveryError]:
        """One POST per resident and part, no retries; the broadcast sender decides about those.
        ``key`` plus the resident and part is the idempotency key, so a repeat is dropped."""
        failures: dict[ResidentRef, DeliveryError] = {}
        parts = list(reply.parts)
        for ref in refs:
            if self._stopped:
                failures[ref] = DeliveryError("the gateway channel is stopping")
                continue
            for index, part in enumerate(parts):
                part_key = f"broadcast-{key}-{ref.external_id}-{index}"
                body = render.render(part, key=part_key, user_id=ref.external_id, read_file=self._read_file)
                error = await self._client().once(part_key, body)
                if error is not None:
                    failures[ref] = error
                    break
        return failures

    async def download(self, photo: Photo) -> bytes:
        """GET ``photo_url`` (only a signed event can name one), within the size limit."""
        self._client()
        assert self._session is not None
        limit = self.app_settings.proposals.max_photo_bytes
        timeout = aiohttp.ClientTimeout(total=self.settings.request_timeout_seconds)
        try:
            async with self._session.get(photo.remote_id, timeout=timeout) as response:
                if response.status >= 400:
                    raise DeliveryError(f"photo {photo.remote_id}: the gateway answered {response.status}",
                                        permanent=400 <= response.status < 500 and response.status != 429)
                data = await read_whole(response.content, limit)
        except (TimeoutError, aiohttp.ClientError) as error:
            raise DeliveryError(f"downloading {photo.remote_id} failed: {error!r}") from error
        if data is None:
            raise DeliveryError(f"the photo is over {limit} bytes", permanent=True)
        return data

