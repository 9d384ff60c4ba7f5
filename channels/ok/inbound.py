"""The webhook: only OK's own networks are heard, and a webhook is stored before it is answered.

OK signs nothing and has no secret to set when subscribing, so where the request comes from is
the only proof it is OK's. The address is the connection's, seen through the operator's
``trusted_proxies`` only (``bot.addresses.client_address``), so a caller cannot claim OK's
address by writing ``X-Forwarded-For`` himself. An address outside
``allowed_networks`` gets 403, nothing is read, and the address is logged (OK publishes no list
of its senders; the log is how an operator finds them).

A webhook from OK is read whole (``channels.body``), parsed, and stored (``core.submit``, which
also starts processing it) before it is answered 200. A failure to store answers 500 on purpose,
so that OK delivers it again. A body from OK's networks that is not a webhook is kept as a dead
letter and answered 200 as well, since OK would otherwise repeat it.
"""
from __future__ import annotations

import logging

from aiohttp import web

from bot.addresses import client_address, networks, within
from bot.core.channel import Inbound
from channels.body import BodyRefused, read_body
from channels.ok.parse import NAME, NotAWebhook, parse
from channels.ok.settings import OkSettings

log = logging.getLogger(__name__)


async def receive(core: Inbound, body: bytes) -> None:
    """A body from OK's networks to the core: its event submitted, or kept as a dead letter."""
    try:
        event = parse(body)
    except NotAWebhook as error:
        await core.accept_unparseable(NAME, body, str(error))
        return
    if event is not None:
        await core.submit([event])


class Webhook:
    def __init__(self, settings: OkSettings, core: Inbound) -> None:
        self.settings = settings
        self.core = core
        self.allowed = networks(settings.allowed_networks)
        self.proxies = networks(settings.trusted_proxies)
        if not self.allowed:
            log.warning("ok.allowed_networks пуст: все вебхуки ОК будут отклонены")

    def register(self, app: web.Application) -> None:
        app.router.add_post(self.settings.webhook_path, self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        address = client_address(request, self.proxies)
        if address is None or not within(address, self.allowed):
            log.warning("вебхук ОК: отклонён запрос от %s (не из ok.allowed_networks)",
                        address or request.remote)
            return web.json_response({"error": "forbidden", "reason": "not from OK's networks"}, status=403)
        try:
            body = await read_body(request, self.settings.webhook_max_body_bytes)
        except BodyRefused as refused:
            return web.json_response({"error": refused.error, "reason": refused.reason}, status=refused.status)
        await receive(self.core, body)
        return web.json_response({"success": True})
