"""The Callback API endpoint: VK POSTs each event to ``callback_path``.

The ``secret`` VK puts in every event (set in the community's Callback API settings) is
checked before anything else is looked at; a wrong or missing one gets 403 and nothing is
stored. ``confirmation`` is answered with the code VK showed the operator. Every other event is
stored and then answered with a plain ``ok``, which is VK's acknowledgement; VK retries an
event it did not get ``ok`` for (``X-Retry-Counter``) with the same ``event_id``, and the inbox
recognises it, so a retry is processed once.
"""
from __future__ import annotations

import hmac
import json
import logging
from typing import Any, Awaitable, Callable

from aiohttp import web

from bot.config import VkSettings

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024   # VK events are small; a large body is not from VK


class CallbackEndpoint:
    def __init__(self, settings: VkSettings, receive: Callable[[list[dict[str, Any]]], Awaitable[None]]) -> None:
        if settings.callback_secret is None or not settings.confirmation_code:
            raise ValueError("vk.mode is callback: set SOUCHASTIE_VK_CALLBACK_SECRET and vk.confirmation_code")
        self.settings = settings
        self.secret = settings.callback_secret.get_secret_value().encode()
        self.receive = receive

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.content.read(MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            return _text("the body is too large", 413)
        try:
            update = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            return _text("the body is not JSON", 400)
        if not isinstance(update, dict):
            return _text("the body is not a JSON object", 400)
        secret = update.get("secret")
        if not isinstance(secret, str) or not hmac.compare_digest(secret.encode(), self.secret):
            log.warning("VK callback with a wrong or missing secret from %s refused", request.remote)
            return _text("forbidden", 403)
        group = update.get("group_id")
        if self.settings.group_id and group != self.settings.group_id:
            log.warning("VK callback for community %r refused (we are %s)", group, self.settings.group_id)
            return _text("forbidden", 403)
        kind = update.get("type")
        if not isinstance(kind, str) or not kind:
            return _text("the event has no type", 400)
        if kind == "confirmation":
            return _text(self.settings.confirmation_code)
        retry = request.headers.get("X-Retry-Counter")
        if retry:
            log.info("VK callback %s (%s) delivered again, retry %s", kind, update.get("event_id"), retry)
        await self.receive([update])
        return _text("ok")


def _text(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/plain")
