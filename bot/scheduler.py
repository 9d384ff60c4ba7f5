"""Jobs on a clock, with APScheduler: things that happen because time passed, not because a
resident wrote (announcing the results of polls that have closed, …).

Each job checks the database for what is due rather than trusting an in-memory timer, so a job
missed while the bot was down runs at the next start, and running it twice does nothing twice.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


class Scheduler:
    def __init__(self) -> None:
        self._scheduler = AsyncIOScheduler(timezone=timezone.utc)

    def every(self, seconds: float, name: str, job: Job) -> None:
        """Run ``job`` now and then every ``seconds``; overlapping runs are skipped."""
        async def run() -> None:
            try:
                await job()
            except asyncio.CancelledError:
                log.info("scheduled job %s stopped by the shutdown", name)  # it runs again at the next start
            except Exception:
                log.exception("scheduled job %s failed; it runs again at its next time", name)

        self._scheduler.add_job(run, IntervalTrigger(seconds=seconds), id=name, name=name,
                                next_run_time=datetime.now(timezone.utc), max_instances=1, coalesce=True)

    def start(self) -> None:
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
