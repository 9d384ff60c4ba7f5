"""The webhook: Meta's verification handshake, and updates stored before they are acknowledged.

``GET`` answers ``hub.challenge`` only when ``hub.mode`` is ``subscribe`` and ``hub.verify_token``
is ours (a constant-time comparison); anything else gets 403.

Every ``POST`` must carry ``X-Hub-Signature-256: sha256=<hex>``, the HMAC-SHA256 of the raw body
(read whole, ``channels.body``) keyed with the app secret, checked before the body is even
parsed: a forged or missing one gets 403 and nothing is stored. Then the residents' messages are
put in the inbox (``core.submit``, which starts processing them), their 24-hour windows moved
and the delivery receipts recorded, and only then is 200 written; a failure to
store answers 500, and Meta delivers the batch again (the inbox recognises the repeats by
wamid). A signed body that cannot be read is kept as a dead letter and answered 200: Meta would
otherwise retry it for days.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Iterable

from aiohttp import web

from bot.core.channel import Inbound
from channels.body import BodyRefused, read_body
from channels.whatsapp.parse import NAME, Malformed, parse
from channels.whatsapp.settings import WhatsappSettings
from storage.ports.channels import WhatsappWindows

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"


def signature(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


async def receive(core: Inbound, body: bytes, phone_number_id: str, storage: WhatsappWindows,
                  windows: WindowsBeingWritten) -> None:
    """A signed body to the core: the messages submitted, their windows moved and the receipts
    recorded; a body that cannot be read kept as a dead letter."""
    try:
        parsed = parse(body, phone_number_id)
    except Malformed as error:
        await core.accept_unparseable(NAME, body, str(error))
        return
    # The events first, in one commit: the housekeeping deletes a window row of a number
    # that no resident has and no stored event names (a forgotten one), so a window written
    # before its event is stored could be taken away in between. ``submit`` starts
    # processing at once, so a reply to these messages waits (``windows.written``) until
    # their windows are written, rather than find them closed.
    writing = windows.begin(parsed.inbound)
    try:
        if parsed.events:
            await core.submit(list(parsed.events))
        if parsed.inbound or parsed.receipts:
            await storage.note_webhook(parsed.inbound, parsed.receipts)
    finally:
        windows.end(parsed.inbound, writing)


class WindowsBeingWritten:
    """Numbers whose messages are stored but whose windows are not written yet: a reply to such
    a message waits for the write (``written``), so that it does not find the window closed."""

    def __init__(self) -> None:
        self._writing: dict[str, asyncio.Event] = {}

    def begin(self, wa_ids: Iterable[str]) -> asyncio.Event:
        done = asyncio.Event()
        for wa_id in wa_ids:
            self._writing[wa_id] = done
        return done

    def end(self, wa_ids: Iterable[str], done: asyncio.Event) -> None:
        done.set()
        for wa_id in wa_ids:
            if self._writing.get(wa_id) is done:
                del self._writing[wa_id]

    async def written(self, wa_id: str) -> None:
        done = self._writing.get(wa_id)
        if done is not None:
            await done.wait()


class Webhook:
    def __init__(self, settings: WhatsappSettings, core: Inbound, storage: WhatsappWindows,
                 windows: WindowsBeingWritten) -> None:
        self.settings = settings
        self.core = core
        self.storage = storage
        self.windows = windows

    def register(self, app: web.Application) -> None:
        app.router.add_get(self.settings.webhook_path, self.verify)
        app.router.add_post(self.settings.webhook_path, self.handle)

    async def verify(self, request: web.Request) -> web.Response:
        query = request.query
        expected = self.settings.verify_token
        given = query.get("hub.verify_token", "")
        if query.get("hub.mode") != "subscribe" or expected is None \
                or not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
            log.warning("WhatsApp: проверка вебхука отклонена (mode %r) от %s", query.get("hub.mode"),
                        request.remote)
            return web.Response(status=403, text="verification failed")
        return web.Response(text=query.get("hub.challenge", ""))

    async def handle(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await read_body(request, self.settings.webhook_max_body_bytes)
        except BodyRefused as refused:
            return web.json_response({"error": refused.error, "reason": refused.reason}, status=refused.status)
        secret = self.settings.app_secret
        given = request.headers.get(SIGNATURE_HEADER, "")
        if secret is None or not hmac.compare_digest(given.encode(),
                                                     signature(secret.get_secret_value(), body).encode()):
            log.warning("вебхук WhatsApp: POST без верного %s от %s", SIGNATURE_HEADER, request.remote)
            return web.json_response({"error": "forbidden", "reason": "wrong or missing signature"}, status=403)
        await receive(self.core, body, self.settings.phone_number_id, self.storage, self.windows)
        return web.json_response({"ok": True})
