"""Events POSTed by the gateway to ``inbound_path`` on the bot's shared web app.

The body is read whole (``channels.body``) and its signature checked before it is parsed (a
forged or missing one gets 401 and nothing is stored); the event is then stored
(``core.submit``, which also starts processing it) before the 200 is written, so a 200 always
means "stored". A signed body that is not an event gets 400/422 with the reason, as the
protocol promises, and is kept as a dead letter for staff to see. An event id already used by
another event gets 409: the id is the idempotency key, so a second event under it would
otherwise be taken for a retry and silently dropped.
"""
from __future__ import annotations

import logging

from aiohttp import web

from bot.core.channel import Inbound
from channels.body import BodyRefused, read_body
from channels.gateway.parse import NAME, BadEvent, NotJson, fingerprint, parse
from channels.gateway.protocol import SIGNATURE_HEADER, verify
from channels.gateway.settings import GatewaySettings
from storage.ports.channels import GatewayEventIds

log = logging.getLogger(__name__)


async def receive(core: Inbound, body: bytes, ids: GatewayEventIds) -> web.Response:
    """A signed body to the core: parsed, its id claimed, submitted; the answer for the gateway."""
    try:
        event = parse(body)
    except BadEvent as error:
        await core.accept_unparseable(NAME, body, str(error))
        if isinstance(error, NotJson):
            return _refuse(400, "malformed_json", str(error))
        return _refuse(422, "bad_event", str(error))
    claimed = await ids.claim_event_id(event.update_id, fingerprint(event))
    if not claimed:
        log.warning("шлюз: номер события %r пришёл снова с другим событием; отклонено", event.update_id)
        return _refuse(409, "id_reused", f"the id {event.update_id!r} was used for another event; "
                                         "a new event needs a new id")
    # A failure to store answers 500 on purpose: the gateway sends the event again.
    [inbox_id] = await core.submit([event])
    return web.json_response({"ok": True, "id": event.update_id, "duplicate": inbox_id is None})


class Webhook:
    """The route: the body's size and signature first, then ``receive``."""

    def __init__(self, settings: GatewaySettings, ids: GatewayEventIds) -> None:
        assert settings.secret is not None
        self.settings = settings
        self.ids = ids
        self._secret = settings.secret.get_secret_value()
        self.core: Inbound | None = None
        self.stopped = False

    def register(self, app: web.Application) -> None:
        app.router.add_post(self.settings.inbound_path, self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        try:
            body = await read_body(request, self.settings.max_body_bytes)
        except BodyRefused as refused:
            return _refuse(refused.status, refused.error, refused.reason)
        if not verify(self._secret, body, request.headers.get(SIGNATURE_HEADER)):
            log.warning("шлюз: событие без верной подписи от %s", request.remote)
            return _refuse(401, "bad_signature", f"{SIGNATURE_HEADER} must be sha256=<HMAC-SHA256 of the body>")
        if self.core is None or self.stopped:
            return _refuse(503, "starting", "the bot is not receiving yet; send the event again")
        return await receive(self.core, body, self.ids)


def _refuse(status: int, error: str, reason: str) -> web.Response:
    return web.json_response({"ok": False, "error": error, "reason": reason}, status=status)
