"""The webhook route: MAX posts one update per request, with our secret in a header.

``POST /subscriptions`` gave MAX the secret; MAX sends it back in ``X-Max-Bot-Api-Secret``
with every update (schema 0.0.30, ``SubscriptionRequestBody.secret``; maxapi's webhook checks
the same header). A request without it, or with another, gets 403 and nothing is stored. The
body is read whole (``channels.body``) and handed over: an update is stored, a body that is not
one is kept as a dead letter, and only then is 200 answered — MAX retries anything but 200 for
hours, and the inbox recognises the retries of both.
"""
from __future__ import annotations

import hmac
import logging
from typing import Awaitable, Callable

from aiohttp import web

from channels.body import BodyRefused, read_body

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Max-Bot-Api-Secret"


class WebhookRoute:
    def __init__(self, secret: str, take_body: Callable[[bytes], Awaitable[None]], max_bytes: int) -> None:
        self.secret = secret.encode()
        self.take_body = take_body
        self.max_bytes = max_bytes

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            log.warning("вебхук MAX: запрос без верного секрета от %s", request.remote)
            return _error(403, "forbidden", f"the {SECRET_HEADER} header is missing or wrong")
        try:
            body = await read_body(request, self.max_bytes)
        except BodyRefused as refused:
            return _error(refused.status, refused.error, refused.reason)
        await self.take_body(body)
        return web.json_response({"ok": True})


def _error(status: int, error: str, reason: str) -> web.Response:
    return web.json_response({"error": error, "reason": reason}, status=status)
