"""The webhook route: MAX posts one update per request, with our secret in a header.

``POST /subscriptions`` gave MAX the secret; MAX sends it back in ``X-Max-Bot-Api-Secret``
with every update (schema 0.0.30, ``SubscriptionRequestBody.secret``; maxapi's webhook checks
the same header). A request without it, or with another, gets 403 and nothing is stored. A body
that is not an update gets 400. Otherwise the update is stored and only then answered 200 —
MAX retries anything but 200 for hours, and the inbox recognises the retries.
"""
from __future__ import annotations

import hmac
import json
import logging
from typing import Any, Awaitable, Callable

from aiohttp import web

from channels.max.parse import NotAnUpdate

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Max-Bot-Api-Secret"


class WebhookRoute:
    def __init__(self, secret: str, take: Callable[[Any], Awaitable[None]], max_bytes: int) -> None:
        self.secret = secret.encode()
        self.take = take
        self.max_bytes = max_bytes

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            log.warning("MAX webhook: a request without the right secret from %s", request.remote)
            return _error(403, "forbidden", f"the {SECRET_HEADER} header is missing or wrong")
        body = await request.content.read(self.max_bytes + 1)
        if len(body) > self.max_bytes:
            return _error(413, "too_large", f"the body is over {self.max_bytes} bytes")
        try:
            update = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            return _error(400, "malformed_json", f"the body is not valid JSON: {error}")
        try:
            await self.take(update)
        except NotAnUpdate as error:
            return _error(400, "not_an_update", str(error))
        return web.json_response({"ok": True})


def _error(status: int, error: str, reason: str) -> web.Response:
    return web.json_response({"error": error, "reason": reason}, status=status)
