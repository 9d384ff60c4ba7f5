"""Work that runs in one bot process of the cluster at a time, under a lease in the database.

Several bot processes may share one database (behind a load balancer, any of them takes any
webhook). Some work must still run once: a long poll (a platform serves one poller per token),
a broadcast sender (the platform's rate ceiling is per token) and the scheduler (jobs fire
once). ``Leadership`` runs such work only while this process holds its lease
(``storage/ports/leases.py``):

- **Taking.** Every process asks for the lease at start; the first gets it at once (a single
  bot never waits), the others stand by and ask again when it is due to expire (at least every
  ``ttl / 3``), so a clean stop, which releases it, is taken over within ``ttl / 3``.
- **Renewing.** The holder renews every ``ttl / 3``. Each renewal extends the lease to ``ttl``
  from the moment it was asked.
- **Stopping.** The work is cancelled at once when a renewal is refused (another process holds
  the lease) or fails (the database is away); and also when no renewal has been confirmed within
  ``2/3 × ttl`` of the last confirmed one being asked, even if the answer is still on its way.
  So the holder has stopped starting new work at least ``ttl / 3`` before the lease can pass to
  another process: that third covers the work's own stopping and the clocks' disagreement
  between machines (keep them in step with NTP).
- **Takeover.** When the holder dies (SIGKILL, power), its lease expires at most ``ttl`` after
  its last renewal, so another process takes over within ``ttl`` of the death, plus the time
  of one ask. A holder that died on this machine is not waited for: the holder id names the
  host, its pid namespace and the pid, so a process restarted after a crash (systemd's
  ``Restart=on-failure``, a single town's bot) sees that pid gone and takes the lease at once.

What this does not give: exactly-once across a takeover. The work itself must be safe to repeat
where it was cut off — and it is: updates are recognised by the inbox, a broadcast's rows in
flight are at most a sender's window, jobs check the database for what is due.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import secrets
import socket
from datetime import datetime, timezone
from typing import Awaitable, Callable

from storage.ports.repositories import Database

log = logging.getLogger(__name__)

Work = Callable[[], Awaitable[None]]

RETRY_FLOOR_SECONDS = 0.05  # a standby never asks more often than this


def _this_machine() -> str:
    """The host and, on Linux, the pid namespace: a pid names one process only within both (two
    containers may share a host name, never a namespace)."""
    try:
        namespace = "".join(character for character in os.readlink("/proc/self/ns/pid") if character.isdigit())
    except OSError:
        return socket.gethostname()
    return f"{socket.gethostname()}/{namespace}"


def holder_id() -> str:
    """This process among the cluster's: the machine, the pid, and a random part (a pid is reused)."""
    return f"{_this_machine()}:{os.getpid()}:{secrets.token_hex(4)}"


def died_here(holder: str, me: str) -> bool:
    """Whether ``holder`` was a process of this machine (host and pid namespace) that no longer
    runs; False whenever that cannot be told (another machine, no namespace to compare)."""
    machine, _, rest = holder.partition(":")
    if "/" not in machine or machine != _this_machine() or holder == me:
        return False
    try:
        pid = int(rest.partition(":")[0])
    except ValueError:
        return False
    if pid == os.getpid():
        return False  # another bot in this very process (tests run two), or a pid reused: wait it out
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists under another user
        return False
    return False


def lease_name(kind: str, channel: str, identity: str) -> str:
    """``kind:channel:digest``: names the lease on work for one platform token without putting the
    token itself in the database."""
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return f"{kind}:{channel}:{digest}"


class Leadership:
    """Runs ``work`` while this process holds the lease ``name`` (``ttl`` seconds), cancels it
    when the lease is lost, and takes it again when it is free."""

    def __init__(self, db: Database, name: str, holder: str, work: Work, ttl: float) -> None:
        self.db = db
        self.name = name
        self.holder = holder
        self.work = work
        self.ttl = ttl
        self.takeovers = 0        # how many times this process took the lease (for logs and tests)
        self._work: asyncio.Task[None] | None = None
        self._loop_task: asyncio.Task[None] | None = None

    @property
    def leading(self) -> bool:
        return self._work is not None and not self._work.done()

    async def start(self) -> None:
        """Ask once, and start the work if the lease is ours (a single bot's always is), before
        returning; then keep asking in the background."""
        loop = asyncio.get_running_loop()
        confirmed_at = await self._ask_and_act(None)
        if confirmed_at is not None:
            await asyncio.sleep(0)  # the work's first steps before this returns (the scheduler's jobs)
        self._loop_task = loop.create_task(self._run(confirmed_at), name=f"lease {self.name}")

    async def stop(self) -> None:
        """Stop the work, then give the lease up so that another process takes it at once."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
        await self._stop_work()
        try:
            async with self.db.transaction() as tx:
                await tx.leases.release(self.name, self.holder)
        except Exception as error:  # it expires by itself
            log.warning("аренда «%s» не освобождена при остановке (%s); истечёт сама", self.name, error)

    async def _run(self, confirmed_at: float | None) -> None:
        """``confirmed_at``: when the last ask that confirmed the lease was made (loop time).
        Renewals are timed from the asks, so a slow answer does not push the next one later."""
        loop = asyncio.get_running_loop()
        while True:
            if confirmed_at is not None:
                await asyncio.sleep(max(confirmed_at + self.ttl / 3 - loop.time(), 0.0))
            else:
                await asyncio.sleep(await self._until_worth_asking())
            confirmed_at = await self._ask_and_act(confirmed_at)

    async def _ask_and_act(self, confirmed_at: float | None) -> float | None:
        """One ask; the work started when the lease is confirmed in time, stopped otherwise.
        Returns when this ask was made if it confirmed the lease, else None."""
        loop = asyncio.get_running_loop()
        asked = loop.time()
        held = await self._ask(None if confirmed_at is None else confirmed_at + self.ttl * 2 / 3)
        if held and loop.time() < asked + self.ttl * 2 / 3:
            self._start_work()
            return asked
        await self._stop_work()
        return None

    async def _ask(self, stop_work_at: float | None) -> bool:
        """Take or renew the lease. While the answer is awaited, the work is stopped once
        ``stop_work_at`` passes: a renewal held up in the database must not let two run."""
        asking = asyncio.ensure_future(self._acquire())
        if stop_work_at is not None:
            timeout = max(stop_work_at - asyncio.get_running_loop().time(), 0.0)
            done, _ = await asyncio.wait({asking}, timeout=timeout)
            if not done:
                log.warning("аренда «%s»: продление не подтверждено вовремя; работа остановлена", self.name)
                await self._stop_work()
        try:
            # Shielded: a stop waits for the ask to end, so the release comes after it, not before.
            return await asyncio.shield(asking)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the database is away: not ours until it says so
            log.warning("аренда «%s»: не удалось взять или продлить (%s)", self.name, error)
            return False

    async def _acquire(self) -> bool:
        async with self.db.transaction() as tx:
            current = await tx.leases.holder(self.name)
            if current is not None and died_here(current.holder, self.holder):
                log.info("аренда «%s»: процесс %s на этой машине больше не работает; берём её, не дожидаясь срока",
                         self.name, current.holder)
                await tx.leases.release(self.name, current.holder)
            return await tx.leases.acquire(self.name, self.holder, self.ttl)

    async def _until_worth_asking(self) -> float:
        """Seconds until the lease another process holds expires, at most ``ttl / 3``."""
        try:
            lease = await self.db.reader.leases.holder(self.name)
        except Exception:
            return self.ttl / 3
        if lease is None or died_here(lease.holder, self.holder):
            return RETRY_FLOOR_SECONDS
        left = (datetime.fromisoformat(lease.expires_at) - datetime.now(timezone.utc)).total_seconds()
        return min(max(left, RETRY_FLOOR_SECONDS), self.ttl / 3)

    def _start_work(self) -> None:
        if self._work is not None and not self._work.done():
            return
        if self._work is not None and not self._work.cancelled() and self._work.exception() is not None:
            log.error("аренда «%s»: работа завершилась с ошибкой %r; запускаем снова",
                      self.name, self._work.exception())
        self.takeovers += 1
        log.info("аренда «%s» взята процессом %s", self.name, self.holder)
        self._work = asyncio.ensure_future(self.work())
        self._work.set_name(f"leased {self.name}")

    async def _stop_work(self) -> None:
        task, self._work = self._work, None
        if task is None or task.done():
            return
        task.cancel()
        (outcome,) = await asyncio.gather(task, return_exceptions=True)
        if isinstance(outcome, Exception):
            log.error("аренда «%s»: работа остановилась не чисто: %r", self.name, outcome)
        log.info("аренда «%s»: работа в этом процессе остановлена", self.name)
