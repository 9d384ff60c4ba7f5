"""The generic gateway channel: signed JSON over HTTP both ways (docs/gateway.md).

There is no platform SDK to lean on: the protocol is ours, so the transport is plain aiohttp,
the library the bot's web server already runs on. Inbound events arrive at ``inbound_path`` on
the bot's shared web app; the body is read whole (``channels.body``) and its signature checked
before it is parsed (a forged or missing one gets 401 and nothing is stored), the event is
stored (``core.submit``, which also starts processing it) before the 200 is written, so a 200
always means "stored". A signed body that is not an event gets 400/422 with the reason, as the
protocol promises, and is kept as a dead letter for staff to see. An event id already used by
another event gets 409: the id is the idempotency key, so a second event under it would
otherwise be taken for a retry and silently dropped. Replies are POSTed to ``outbound_url``
through one reused ``ClientSession``.
"""
from __future__ import annotations

import logging

import aiohttp
from aiohttp import web

from bot.core.channel import (
    Capabilities,
    Channel,
    DeliveryError,
    Inbound,
    Fitted,
    Throughput,
)
from bot.config import Settings
from bot.core.events import Photo, ResidentRef
from channels.body import BodyRefused, read_body, read_whole
from channels.gateway import render
from channels.gateway.parse import NAME, BadEvent, NotJson, fingerprint, read_event
from channels.gateway.protocol import SIGNATURE_HEADER, verify
from channels.gateway.send import Poster
from storage.attachments import AttachmentStore
from storage.database import Database

log = logging.getLogger(__name__)


class GatewayChannel(Channel):
    name = NAME
    # The gateway decides how to show buttons (and has fallback_text when it cannot), so the
    # limits are generous ones that any JSON consumer can handle.
    capabilities = Capabilities(max_text_length=4096, max_buttons_per_row=3, max_button_rows=10,
                                max_button_label=64, inline_buttons=True, request_location=True,
                                request_contact=True, numbers_shown=True, phone_proof="contact")

    def __init__(self, settings: Settings, db: Database, attachments: AttachmentStore) -> None:
        self.settings = settings.gateway
        self.app_settings = settings
        self.db = db
        self.attachments = attachments
        if self.settings.secret is None or not self.settings.outbound_url:
            raise ValueError("the gateway channel needs SOUCHASTIE_GATEWAY_SECRET and gateway.outbound_url")
        self._secret = self.settings.secret.get_secret_value()
        self._session: aiohttp.ClientSession | None = None
        self._poster: Poster | None = None
        self._core: Inbound | None = None
        self._stopped = False

    # -- receiving ---------------------------------------------------------------------------

    def setup_routes(self, app: web.Application, core: Inbound) -> None:
        self._core = core
        app.router.add_post(self.settings.inbound_path, self.receive)

    async def start(self, core: Inbound) -> None:
        self._core = core
        self._client()

    def _client(self) -> Poster:
        """The one session for every send; made on first use, since recovery may send replies
        left pending by a crash before ``start``."""
        if self._poster is None:
            self._session = aiohttp.ClientSession()
            self._poster = Poster(self._session, self.settings)
        return self._poster

    async def receive(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await read_body(request, self.settings.max_body_bytes)
        except BodyRefused as refused:
            return _refuse(refused.status, refused.error, refused.reason)
        if not verify(self._secret, body, request.headers.get(SIGNATURE_HEADER)):
            log.warning("шлюз: событие без верной подписи от %s", request.remote)
            return _refuse(401, "bad_signature", f"{SIGNATURE_HEADER} must be sha256=<HMAC-SHA256 of the body>")
        core = self._core
        if core is None or self._stopped:
            return _refuse(503, "starting", "the bot is not receiving yet; send the event again")
        try:
            event = read_event(body)
        except BadEvent as error:
            await core.accept_unparseable(NAME, body, str(error))
            if isinstance(error, NotJson):
                return _refuse(400, "malformed_json", str(error))
            return _refuse(422, "bad_event", str(error))
        async with self.db.transaction() as tx:
            claimed = await tx.gateway.claim(event.update_id, fingerprint(event))
        if not claimed:
            log.warning("шлюз: номер события %r пришёл снова с другим событием; отклонено", event.update_id)
            return _refuse(409, "id_reused", f"the id {event.update_id!r} was used for another event; "
                                             "a new event needs a new id")
        # A failure to store answers 500 on purpose: the gateway sends the event again.
        [inbox_id] = await core.submit([event])
        return web.json_response({"ok": True, "id": event.update_id, "duplicate": inbox_id is None})

    async def stop(self) -> None:
        self._stopped = True
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
                await poster.send(key, render.body(key, ref.external_id, part, self._read_file))

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
                error = await self._client().once(part_key, render.body(part_key, ref.external_id, part,
                                                                      self._read_file))
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


def _refuse(status: int, error: str, reason: str) -> web.Response:
    return web.json_response({"ok": False, "error": error, "reason": reason}, status=status)
