"""Long polling of ``GET /updates``: every update of a batch is stored before the next request.

MAX commits a batch when the next request carries the batch's ``marker``: until then the same
updates are offered again. So the marker only moves after ``core.submit`` has stored every
event of the batch; a crash before that means the batch comes again, and the inbox knows the
update ids it has seen. The first request carries no marker, which asks MAX for everything not
yet committed — exactly what a restarted bot needs.

A failing poll (MAX down, 429, a time-out, a refused token) is logged and tried again after a
pause that doubles up to ``retry_max_seconds``; the loop ends only when the channel stops.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from bot.config import MaxSettings
from channels.max.transport import MaxApi, RateLimiter

# Stores one update (parse, core.submit, which starts processing; one that cannot be read as a
# dead letter); raises only when storing fails, and then the batch is offered again.
Take = Callable[[Any], Awaitable[None]]

log = logging.getLogger(__name__)


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
