"""The Callback API endpoint: VK POSTs each event to ``callback_path``.

The ``secret`` VK puts in every event (set in the community's Callback API settings) is
checked before anything else is looked at; a wrong or missing one gets 403 and nothing is
stored. Being inside the body, it can be checked only once the body is read as JSON: a body that
is not a JSON object cannot show it and gets 400. Once checked, the secret is taken out of the
event, so neither the stored update nor a dead letter carries it.

``confirmation`` is answered with the code VK showed the operator. Every other event is stored
(an event that cannot be read, as a dead letter) and then answered with a plain ``ok``, which is
VK's acknowledgement; VK retries an event it did not get ``ok`` for (``X-Retry-Counter``) with
the same ``event_id``, and the inbox recognises it, so a retry is processed once.
"""
from __future__ import annotations

import hmac
import logging
from typing import Any, Awaitable, Callable

from aiohttp import web

from channels.vk.settings import VkSettings
from channels.body import BodyRefused, Unparseable, load_json, read_body

log = logging.getLogger(__name__)

SECRET_FIELD = "secret"


class CallbackEndpoint:
    def __init__(self, settings: VkSettings, receive: Callable[[list[dict[str, Any]]], Awaitable[None]]) -> None:
        if settings.callback_secret is None or not settings.confirmation_code:
            raise ValueError("vk.mode is callback: set SOUCHASTIE_VK_CALLBACK_SECRET and vk.confirmation_code")
        self.settings = settings
        self.secret = settings.callback_secret.get_secret_value().encode()
        self.receive = receive

    async def handle(self, request: web.Request) -> web.Response:
        try:
            body = await read_body(request, self.settings.callback_max_body_bytes)
            update = load_json(body)
        except BodyRefused as refused:
            return _text(refused.reason, refused.status)
        except Unparseable as error:
            return _text(str(error), 400)
        if not isinstance(update, dict):
            return _text("the body is not a JSON object", 400)
        secret = update.pop(SECRET_FIELD, None)
        if not isinstance(secret, str) or not hmac.compare_digest(secret.encode(), self.secret):
            log.warning("ВК callback без верного секрета от %s отклонён", request.remote)
            return _text("forbidden", 403)
        group = update.get("group_id")
        if self.settings.group_id and group != self.settings.group_id:
            log.warning("ВК callback для сообщества %r отклонён (наше — %s)", group, self.settings.group_id)
            return _text("forbidden", 403)
        if update.get("type") == "confirmation":
            return _text(self.settings.confirmation_code)
        retry = request.headers.get("X-Retry-Counter")
        if retry:
            log.info("ВК callback %.40s (%.40s) пришёл повторно, повтор %.8s",
                     update.get("type"), update.get("event_id"), retry)
        await self.receive([update])
        return _text("ok")


def _text(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/plain")
