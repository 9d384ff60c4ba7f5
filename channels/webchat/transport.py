"""The web chat's "platform" is its outbox: replies are rows the page reads with a long poll.

There is no client library: sending a broadcast is writing its rows (``Outbox.write``, one
transaction for every resident given), delivering is waking the long polls that wait for a
resident (``Outbox.wake``), and reading is ``Outbox.wait``. The only thing that can fail is the
database, and ``classify`` says what that means: nothing was written (the transaction rolled
back), so the write may be tried again.
"""
from __future__ import annotations

import asyncio
from collections import defaultdict

from bot.core.delivery_errors import Failure, Kind
from bot.core.events import ResidentRef
from bot.core.replies import Reply
from channels.webchat.sessions import NAME
from storage.ports.channels import PulledReplies


def classify(error: BaseException) -> Failure:
    """A failed outbox write: rolled back, so nothing is half-sent and a retry is safe."""
    return Failure(Kind.TRANSIENT, f"web chat outbox not written: {type(error).__name__}: {error}")


class Outbox:
    def __init__(self, storage: PulledReplies) -> None:
        self.storage = storage
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)

    async def write(self, refs: list[ResidentRef], parts: tuple[Reply, ...]) -> None:
        """The parts as rows for every resident given, in one transaction; then their polls woken."""
        payloads = [part.model_dump_json() for part in parts]
        rows = [(ref.external_id, payload) for ref in refs for payload in payloads]
        try:
            await self.storage.post(NAME, rows)
        except Exception as error:  # nothing was written: the transaction rolled back
            raise classify(error).as_error() from error
        for ref in refs:
            self.wake(ref)

    def wake(self, ref: ResidentRef) -> None:
        for event in self._waiters.get(ref.external_id, ()):
            event.set()

    def wake_all(self) -> None:
        for events in self._waiters.values():
            for event in events:
                event.set()

    async def wait(self, ref: ResidentRef, after: int, timeout: float) -> list:
        """Replies after ``after``; when there are none yet, wait up to ``timeout`` for one."""
        wake = asyncio.Event()
        self._waiters[ref.external_id].add(wake)
        try:
            rows = await self.storage.after(NAME, ref.external_id, after)
            if rows:
                return rows
            try:
                await asyncio.wait_for(wake.wait(), timeout)
            except asyncio.TimeoutError:
                return []
            return await self.storage.after(NAME, ref.external_id, after)
        finally:
            waiters = self._waiters.get(ref.external_id)
            if waiters is not None:
                waiters.discard(wake)
                if not waiters:
                    del self._waiters[ref.external_id]
