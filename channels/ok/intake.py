"""The webhook: only OK's own networks are heard, and a webhook is stored before it is answered.

OK signs nothing and has no secret to set when subscribing, so where the request comes from is
the only proof it is OK's. The address is the connection's, seen through the operator's
``trusted_proxies`` only (``bot.addresses.client_address``), so a caller cannot claim OK's
address by writing ``X-Forwarded-For`` himself. An address outside
``allowed_networks`` gets 403, nothing is read, and the address is logged (OK publishes no list
of its senders; the log is how an operator finds them).

A webhook from OK is parsed, stored (``core.accept``), answered 200, and only then handed to
processing. A failure to store answers 500 on purpose, so that OK delivers it again.
"""
from __future__ import annotations

import json
import logging

from aiohttp import web

from bot.addresses import client_address, networks, within
from bot.channel import Inbound
from bot.config import OkSettings
from channels.ok.parse import NotAWebhook, parse_webhook

log = logging.getLogger(__name__)

class Webhook:
    def __init__(self, settings: OkSettings, core: Inbound) -> None:
        self.settings = settings
        self.core = core
        self.allowed = networks(settings.allowed_networks)
        self.proxies = networks(settings.trusted_proxies)
        if not self.allowed:
            log.warning("ok.allowed_networks is empty: every OK webhook will be refused")

    def register(self, app: web.Application) -> None:
        app.router.add_post(self.settings.webhook_path, self.receive)

    async def receive(self, request: web.Request) -> web.StreamResponse:
        address = client_address(request, self.proxies)
        if address is None or not within(address, self.allowed):
            log.warning("ok webhook: refused a request from %s (not in ok.allowed_networks)",
                        address or request.remote)
            return web.json_response({"error": "forbidden", "reason": "not from OK's networks"}, status=403)
        try:
            webhook = json.loads(await request.read())
            event = parse_webhook(webhook)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return web.json_response({"error": "malformed_json", "reason": "the body is not JSON"}, status=400)
        except NotAWebhook as error:
            return web.json_response({"error": "bad_webhook", "reason": str(error)}, status=400)
        inbox_id = await self.core.accept(event) if event is not None else None
        response = web.json_response({"success": True})
        await response.prepare(request)
        await response.write_eof()
        if inbox_id is not None:
            self.core.process_in_background(inbox_id)
        return response
