"""Receiving updates: long polling and the webhook, both storing before acknowledging.

Polling drives ``getUpdates`` itself instead of using aiogram's ``Dispatcher.start_polling``:
aiogram asks for the next offset (which tells Telegram to forget the batch) as soon as a batch
arrives and runs handlers afterwards, so a crash in between loses updates. Here every update of
a batch is in the inbox before the next ``getUpdates`` carries the advanced offset; a crash
before that makes Telegram send the batch again, and the inbox recognises what it already has.

The offset lives in memory only, and that loses nothing: Telegram keeps every update until a
``getUpdates`` with a higher offset confirms it (for up to 24 hours), and one without an offset
gets the oldest unconfirmed. So the process that takes the poll over — after a crash, on another
machine — starts without one and is offered exactly what was not confirmed, which is at most what
the dead one had stored too (recognised by id). Nothing to keep in the database, unlike VK's
``ts`` (``channels.vk.inbound``).
Each update is handed to processing as soon as it is stored, not after the whole batch: if
storing a later one fails, the batch comes again, and the stored ones, now repeats, would
otherwise never be started until the next restart.

Updates are asked for as plain JSON (``RawUpdates``) rather than aiogram's ``Update`` model:
one update that the model cannot read would fail the whole batch, every time, and stop the bot.

The webhook checks ``X-Telegram-Bot-Api-Secret-Token`` first (a constant-time comparison with
the secret given to ``setWebhook``): a forged or missing one gets 403 and nothing is read. The
body is read whole (``channels.body``); the update is stored and its processing started
(``core.submit``) before the 200 is written. A body with the right secret that is not an Update
is kept as a dead letter and answered 200 too: Telegram would otherwise send it again and again.
"""
from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any, Awaitable, Callable

from aiogram import Bot
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import DeleteWebhook, TelegramMethod
from aiohttp import web

from bot.core.channel import Inbound
from channels.body import BodyRefused, read_body
from channels.telegram.parse import ALLOWED_UPDATES, NAME, NotAnUpdate, parse, update_from_body, update_id
from channels.telegram.settings import TelegramSettings

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_POLL_PAUSE = 60.0
Store = Callable[[dict[str, Any]], Awaitable[None]]


async def receive(core: Inbound, update: dict[str, Any]) -> bool:
    """Put one update in the inbox and start processing it (``core.submit``). An update that
    cannot be read is kept as a dead letter (``False``); one that is nothing a resident did is
    dropped."""
    try:
        event = parse(update)
    except NotAnUpdate as error:
        await core.accept_unparseable(NAME, update, str(error))
        return False
    if event is not None:
        await core.submit([event])
    else:
        log.debug("обновление Telegram %s не из личного диалога с жителем; принято, не сохранено",
                  update.get("update_id"))
    return True


class RawUpdates(TelegramMethod[list[dict[str, Any]]]):
    """``getUpdates``, answered as the JSON objects Telegram sent."""

    __returning__ = list[dict[str, Any]]
    __api_method__ = "getUpdates"

    offset: int | None = None
    limit: int | None = None
    timeout: int | None = None
    allowed_updates: list[str] | None = None


class Poller:
    def __init__(self, bot: Bot, settings: TelegramSettings, core: Inbound, store: Store) -> None:
        self.bot = bot
        self.settings = settings
        self.core = core
        self.store = store
        self.offset: int | None = None

    async def run(self) -> None:
        """Poll until cancelled; failures pause the loop (doubling, capped), never end it."""
        settings = self.settings
        webhook_removed = False
        failures = 0
        while True:
            try:
                if not webhook_removed:
                    # getUpdates is refused while a webhook is set; Telegram keeps what is queued.
                    await self.bot(DeleteWebhook(drop_pending_updates=False),
                                   request_timeout=settings.request_timeout_seconds)
                    webhook_removed = True
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # network, Telegram, or the database: try again later
                failures += 1
                pause = min(settings.retry_backoff_seconds * 2 ** (failures - 1), MAX_POLL_PAUSE)
                if isinstance(error, TelegramRetryAfter):
                    pause = float(error.retry_after)
                log.warning("Telegram: получение обновлений не удалось (%s); снова через %.1f с", error, pause)
                await asyncio.sleep(pause)
            else:
                failures = 0

    async def poll_once(self) -> None:
        settings = self.settings
        request = RawUpdates(offset=self.offset, limit=settings.poll_limit,
                             timeout=settings.poll_timeout_seconds, allowed_updates=ALLOWED_UPDATES)
        updates = await self.bot(request, request_timeout=settings.poll_timeout_seconds
                                 + settings.request_timeout_seconds)
        for update in updates:
            number = update_id(update) if isinstance(update, dict) else None
            if number is None:
                log.warning("Telegram прислал обновление без update_id; пропущено: %.200s", update)
                continue
            await self.store(update)
            # The offset moves only past stored updates: if storing fails, the batch comes again.
            self.offset = max(self.offset or 0, number + 1)


class Webhook:
    def __init__(self, settings: TelegramSettings, core: Inbound, store: Store) -> None:
        self.settings = settings
        self.core = core
        self.store = store

    def register(self, app: web.Application) -> None:
        app.router.add_post(self.settings.webhook_path, self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        secret = self.settings.webhook_secret
        given = request.headers.get(SECRET_HEADER, "")
        if secret is None or not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
            log.warning("вебхук Telegram: запрос без верного секрета от %s", request.remote)
            return web.json_response({"error": "forbidden", "reason": "wrong or missing secret token"},
                                     status=403)
        try:
            body = await read_body(request, self.settings.webhook_max_body_bytes)
        except BodyRefused as refused:
            return web.json_response({"error": refused.error, "reason": refused.reason}, status=refused.status)
        # A failure to store answers 500 on purpose: Telegram then delivers the update again.
        try:
            update = update_from_body(body)
        except NotAnUpdate as error:
            await self.core.accept_unparseable(NAME, body, str(error))
            return web.json_response({"ok": True})
        await self.store(update)
        return web.json_response({"ok": True})
