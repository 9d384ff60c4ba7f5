"""How updates reach the MAX channel: long polling (default) or the webhook, both through ``receive``.

Long polling of ``GET /updates``: every update of a batch is stored before the next request.
MAX commits a batch when the next request carries the batch's ``marker``: until then the same
updates are offered again. So the marker only moves after ``core.submit`` has stored every
event of the batch; a crash before that means the batch comes again, and the inbox knows the
update ids it has seen. The first request carries no marker, which asks MAX for everything not
yet committed — exactly what a restarted bot needs (GET /updates: «бот получит все обновления,
произошедшие после последнего подтверждения»). So the marker is kept in memory only: MAX holds
the position itself, and the process that takes the poll over, on whichever machine, gets
what was not committed, with no marker of its own to read (VK's ``ts`` is another matter, kept
in the database: ``channels.vk.inbound``).

A failing poll (MAX down, 429, a time-out, a refused token) is logged and tried again after a
pause that doubles up to ``retry_max_seconds``; the loop ends only when the channel stops.

The webhook: MAX posts one update per request, with our secret in a header.
``POST /subscriptions`` gave MAX the secret; MAX sends it back in ``X-Max-Bot-Api-Secret``
with every update (schema 0.0.30, ``SubscriptionRequestBody.secret``; maxapi's webhook checks
the same header). A request without it, or with another, gets 403 and nothing is stored. The
body is read whole (``channels.body``) and handed over: an update is stored, a body that is not
one is kept as a dead letter, and only then is 200 answered — MAX retries anything but 200 for
hours, and the inbox recognises the retries of both.
"""
from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any, Awaitable, Callable

from aiohttp import web

from bot.core.channel import Inbound
from channels.body import BodyRefused, read_body
from channels.max.parse import NAME, NotAnUpdate, parse
from channels.max.settings import MaxSettings
from channels.max.transport import MaxApi, RateLimiter

# Stores one update (parse, core.submit, which starts processing; one that cannot be read as a
# dead letter); raises only when storing fails, and then the batch is offered again.
Take = Callable[[Any], Awaitable[None]]

log = logging.getLogger(__name__)


async def receive(core: Inbound, update: Any, *, as_sent: bytes | None = None) -> bool:
    """One update to the core: its events submitted (stored in one commit, then processed), or,
    when it cannot be read, kept as a dead letter (``False``; ``as_sent`` is the webhook's body)."""
    try:
        events = parse(update)
    except NotAnUpdate as error:
        await core.accept_unparseable(NAME, update if as_sent is None else as_sent, str(error))
        return False
    if events:
        await core.submit(events)
    return True


class Poller:
    def __init__(self, api: MaxApi, settings: MaxSettings, take: Take) -> None:
        self.api = api
        self.settings = settings
        self.take = take
        self.pace = RateLimiter(settings.polls_per_second)
        self.marker: int | None = None
        self._stopping = asyncio.Event()
        self._fetch: asyncio.Task | None = None
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="max-polling")

    async def run(self) -> None:
        """Poll until cancelled; a cancel stops as ``stop`` does, between batches."""
        self.start()
        assert self._task is not None
        try:
            await asyncio.shield(self._task)
        finally:
            await self.stop()

    async def stop(self) -> None:
        """Stop between batches: a batch being stored is stored, its marker is not sent."""
        self._stopping.set()
        if self._fetch is not None:
            self._fetch.cancel()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            await self.pace.wait()
            if self._stopping.is_set():
                return
            self._fetch = asyncio.ensure_future(self.api.get_updates(self.marker))
            try:
                batch = await self._fetch
            except asyncio.CancelledError:
                if self._stopping.is_set():
                    return
                raise
            except Exception as error:  # MaxApiError, InvalidToken, MaxConnection, time-outs, …
                failures += 1
                pause = min(self.settings.retry_base_seconds * 2 ** (failures - 1), self.settings.retry_max_seconds)
                log.warning("MAX: получение обновлений не удалось (%s: %s); снова через %.2f с",
                            type(error).__name__, error, pause)
                await self._pause(pause)
                continue
            finally:
                self._fetch = None
            try:
                await self._store(batch)
            except Exception:
                failures += 1
                log.exception("MAX: пачку не удалось сохранить; MAX пришлёт её снова")
                await self._pause(min(self.settings.retry_base_seconds * 2 ** (failures - 1),
                                      self.settings.retry_max_seconds))
                continue
            failures = 0

    async def _store(self, batch: Any) -> None:
        if not isinstance(batch, dict):
            raise TypeError(f"GET /updates answered {type(batch).__name__}, not an object")
        for update in batch.get("updates") or []:
            await self.take(update)
        marker = batch.get("marker")
        if isinstance(marker, int):
            self.marker = marker

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except asyncio.TimeoutError:
            pass


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
