"""Jobs on a clock, with APScheduler: things that happen because time passed, not because a
resident wrote (announcing the results of polls that have closed, episodes at their air time, …).

Each job checks the database for what is due rather than trusting an in-memory timer, so a job
missed while the bot was down runs at the next start, and running it twice does nothing twice.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Awaitable, Callable

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[object]]


class Scheduler:
    def __init__(self) -> None:
        self._scheduler = AsyncIOScheduler(timezone=timezone.utc)

    def every(self, seconds: float, name: str, job: Job) -> None:
        """Run ``job`` now and then every ``seconds``; overlapping runs are skipped."""
        self._scheduler.add_job(_guarded(name, job), IntervalTrigger(seconds=seconds), id=name, name=name,
                                next_run_time=datetime.now(timezone.utc), max_instances=1, coalesce=True)

    def at(self, moment: datetime, name: str, job: Job) -> None:
        """Run ``job`` once at ``moment`` (at once if it has passed); a job of the same name is
        replaced. Kept in memory only: whoever schedules it must do so again after a restart."""
        self._scheduler.add_job(_guarded(name, job), DateTrigger(run_date=moment), id=name, name=name,
                                replace_existing=True, misfire_grace_time=None)

    def has(self, name: str) -> bool:
        """Whether the job ``name`` is still to run."""
        return self._scheduler.get_job(name) is not None

    def cancel(self, name: str) -> None:
        """Forget the job ``name`` if it is still to run."""
        try:
            self._scheduler.remove_job(name)
        except JobLookupError:
            pass  # it has run, or was never scheduled

    def start(self) -> None:
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)


def _guarded(name: str, job: Job) -> Job:
    async def run() -> None:
        try:
            await job()
        except asyncio.CancelledError:
            log.info("задача по расписанию «%s» остановлена вместе с ботом", name)  # it runs again at the next start
        except Exception:
            log.exception("задача по расписанию «%s» не выполнилась; повторится в своё время", name)
    return run
