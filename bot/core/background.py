"""The core's background tasks (deliveries, attempts, jobs after a commit), kept so that a
graceful stop can wait for them: a task nobody holds may be collected before it finishes."""
from __future__ import annotations

import asyncio
from typing import Any, Coroutine


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def track(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def wait(self, deadline: float) -> None:
        """Wait for the tasks under way, and those they start, until ``deadline`` (loop time)."""
        loop = asyncio.get_running_loop()
        while self._tasks and loop.time() < deadline:
            await asyncio.wait(set(self._tasks), timeout=deadline - loop.time())
