"""One sender per channel: takes the channel's deliveries in order and sends them as fast as the
platform allows, never faster.

The loop, per channel:

- **Claim** a page of pending deliveries (oldest broadcast first, id order), marking them
  'sending' in one transaction before any request leaves. At most ``window`` rows of a channel
  are 'sending' at once: ``max(recipients_per_call, ⌈calls_per_second × recipients_per_call ×
  in_flight_seconds⌉)``. After a crash exactly those rows are sent again, so that is the bound on
  duplicates (README, "Broadcasts").
- **Pace** (``bot.pacing``): calls evenly spaced at ``pace_fraction × calls_per_second``,
  never more than ⌊that⌋ starting in any sliding second; after a lag (a restart, an event-loop
  stall, a 429's pause) the schedule starts again from now instead of catching up in a burst.
  Calls run concurrently (a slow answer does not hold up the next one). A 429's ``retry_after``
  holds the whole channel.
- **Record** outcomes in batches: a background task writes them every ``flush_seconds`` (and
  claims the next page in the same transaction), never one commit per message.

Outcomes: sent; transient (429, 5xx) → pending again after a pause, ``max_attempts`` in all, then
failed; permanent (blocked, deleted, forbidden) → failed, the resident unreachable and
unsubscribed; unknown (timed out after the request left) → 'unknown' and not repeated, unless the
platform is idempotent (VK's random_id), where it is retried like a transient failure.
"""
from __future__ import annotations

import asyncio
import heapq
import logging
import math
from collections import deque
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Callable

from bot.core.channel import Channel, DeliveryError
from bot.core.events import ResidentRef
from bot.core.metrics import Metrics
from bot.core.replies import Reply
from bot.core.retrying import RetryPolicy
from bot.pacing import Pacer
from broadcasts.templates import TemplateProblem, build_reply, pick, render, uses_name
from storage.clock import now
from storage.ports.broadcasts import BroadcastRow, Claimed
from storage.ports.repositories import Database
from storage.statuses import BroadcastStatus, DeliveryStatus

if TYPE_CHECKING:
    from bot.config import BroadcastSettings

log = logging.getLogger(__name__)

Outcome = tuple[int, str, str | None, str | None, int]  # delivery id, status, not_before, error, attempts


def _later(seconds: float) -> str:
    moment = datetime.now(timezone.utc) + timedelta(seconds=max(seconds, 0.0))
    return moment.isoformat(timespec="microseconds")


class ChannelSender:
    def __init__(self, db: Database, channel: Channel, settings: "BroadcastSettings", *,
                 default_language: str = "ru", neutral_name: Callable[[str], str] | None = None,
                 metrics: Metrics | None = None, pacer: Pacer | None = None) -> None:
        self.db = db
        self.metrics = metrics if metrics is not None else Metrics()
        self.channel = channel
        self.settings = settings
        # Tries are rows in the outbox, not a loop here: the policy only says how long to wait.
        self.retry_policy = RetryPolicy(attempts=settings.max_attempts, backoff_seconds=settings.backoff_seconds,
                                        max_backoff_seconds=settings.backoff_max_seconds)
        self.default_language = default_language
        self.neutral_name = neutral_name
        throughput = channel.throughput()
        self.per_call = max(1, throughput.recipients_per_call)
        self.calls_per_second = throughput.calls_per_second
        self.idempotent = throughput.idempotent
        # ``pacer``: the channel's schedule kept by the service, so that a sender started again in
        # this process (its lease lost and taken back) goes on from where the last one was.
        self.pacer = pacer or Pacer(throughput.calls_per_second, settings.pace_fraction)
        per_second = throughput.calls_per_second * self.per_call
        # The most rows of this channel marked 'sending' at once: the bound on duplicates.
        self.window = max(self.per_call, math.ceil(per_second * settings.in_flight_seconds))
        self.low_water = min(self.window, max(self.per_call, math.ceil(per_second * settings.flush_seconds)))
        self._queue: deque[Claimed] = deque()
        # Calls to repeat as they were, same key (idempotent platforms): (when, rows, reply, key).
        self._again: list[tuple[float, int, list[Claimed], Reply, str]] = []   # a heap
        self._outstanding = 0                     # rows we marked 'sending', outcome not committed
        self._outcomes: list[Outcome] = []
        self._unreachable: list[int] = []
        self._unreleased: list[int] = []
        self._definitions: dict[int, BroadcastRow] = {}
        self._personal: dict[int, bool] = {}
        self._replies: dict[tuple, Reply | TemplateProblem] = {}
        self._calls: set[asyncio.Task] = set()
        self._last_write = 0.0
        self._quiet_until = 0.0
        self._stopping = asyncio.Event()
        self._filled = asyncio.Event()
        self._sync_wanted = asyncio.Event()
        self._sync_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task] = []
        self.calls_made = 0

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        name = self.channel.name
        self._tasks = [asyncio.create_task(self._run(), name=f"broadcast-{name}"),
                       asyncio.create_task(self._sync_loop(), name=f"broadcast-{name}-results")]

    def wake(self) -> None:
        """New work may be there (a broadcast started or resumed): look now, not at the next tick."""
        self._quiet_until = 0.0
        self._sync_wanted.set()

    async def stop(self, grace: float) -> None:
        """Stop taking rows; let calls in flight finish (up to ``grace`` s), write their outcomes
        and give the rows not sent back. A call cut off stays 'sending' and is resent at start."""
        self._stopping.set()
        self._sync_wanted.set()
        self._filled.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._calls:
            _, cut = await asyncio.wait(set(self._calls), timeout=grace)
            for task in cut:
                task.cancel()
            await asyncio.gather(*cut, return_exceptions=True)
            if cut:
                log.warning("%s: при остановке прервано вызовов рассылки: %d; они уйдут при следующем запуске",
                            self.channel.name, len(cut))
        await self._sync(final=True)

    # -- the sending loop ----------------------------------------------------------------------

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            # Ask for the next page early, but only when a page fits in the window: outcomes alone
            # wait for the timer, so results are written in batches.
            if len(self._queue) < self.low_water and (
                    not self._queue or self.window - self._outstanding >= self.low_water):
                self._sync_wanted.set()
            if self._again and self._again[0][0] <= loop.time():
                _, _, chunk, reply, key = heapq.heappop(self._again)
            elif self._queue:
                reply, chunk = self._take_chunk()
                if reply is None:  # nothing to send to these (forgotten, or the template fails)
                    continue
                key = f"b{chunk[0].broadcast_id}d{chunk[0].id}"
            else:
                self._filled.clear()
                wait = self.settings.idle_seconds
                if self._again:
                    wait = min(wait, self._again[0][0] - loop.time())
                await self._wait(self._filled, wait)
                continue
            slot = self.pacer.next_start()
            while slot > loop.time() and not self._stopping.is_set():
                await self._wait(self._stopping, slot - loop.time())
                slot = self.pacer.next_start()  # a 429 may have come in meanwhile
            if self._stopping.is_set():
                self._queue.extendleft(reversed(chunk))
                break
            task = asyncio.create_task(self._call(chunk, reply, key))
            self._calls.add(task)
            task.add_done_callback(self._calls.discard)
            # The call's first step counts its start with the pacer and sends; asyncio runs ready
            # steps in the order they were scheduled, so it runs before this loop times the next.
            await asyncio.sleep(0)

    @staticmethod
    async def _wait(event: asyncio.Event, timeout: float) -> None:
        try:
            await asyncio.wait_for(event.wait(), max(timeout, 0.0))
        except asyncio.TimeoutError:
            pass

    def _take_chunk(self) -> tuple[Reply | None, list[Claimed]]:
        """The next call: the first row and, where a call takes several recipients, the rows
        after it (same broadcast, same rendered message) up to ``per_call``."""
        first = self._queue.popleft()
        key, reply = self._reply_for(first)
        if reply is None:
            return None, [first]
        chunk = [first]
        if self.per_call > 1 and self._queue:
            kept: list[Claimed] = []
            scanned = 0
            while self._queue and len(chunk) < self.per_call and scanned < self.per_call * 4:
                row = self._queue.popleft()
                scanned += 1
                if row.broadcast_id == first.broadcast_id and row.resident_id is not None \
                        and self._key(row) == key:
                    chunk.append(row)
                else:
                    kept.append(row)
            self._queue.extendleft(reversed(kept))
        return reply, chunk

    def _key(self, row: Claimed) -> tuple:
        if row.reply is not None:   # a message of its own (a digest): never shared by a call
            return ("own", row.id)
        definition = self._definitions.get(row.broadcast_id)
        language = pick(definition.texts, row.language, self.default_language)[0] if definition else ""
        personal = self._personal.get(row.broadcast_id, True)
        return (row.broadcast_id, language, row.name if personal else None)

    def _reply_for(self, row: Claimed) -> tuple[tuple, Reply | None]:
        """The rendered reply for a row; rows that cannot get one get their outcome here."""
        definition = self._definitions.get(row.broadcast_id)
        if row.resident_id is None or definition is None:
            self._outcomes.append((row.id, DeliveryStatus.SKIPPED, None, "the resident was forgotten"
                                   if row.resident_id is None else "the broadcast is gone", row.attempts))
            return (), None
        key = self._key(row)
        if row.reply is not None:
            try:
                return key, Reply.model_validate_json(row.reply)
            except ValueError as problem:
                self._outcomes.append((row.id, DeliveryStatus.FAILED, None, f"reply: {problem}"[:500], row.attempts))
                return key, None
        reply = self._replies.get(key)
        if reply is None:
            language = key[1]
            name = row.name or (self.neutral_name(language) if self.neutral_name else "")
            try:
                reply = build_reply(render(definition.texts, row.language, name, self.default_language),
                                    definition.buttons, definition.media)
            except (TemplateProblem, ValueError) as problem:
                reply = problem if isinstance(problem, TemplateProblem) else TemplateProblem(str(problem))
            if len(self._replies) > 10_000:
                self._replies.clear()
            self._replies[key] = reply
        if isinstance(reply, TemplateProblem):
            self._outcomes.append((row.id, DeliveryStatus.FAILED, None, f"template: {reply}"[:500], row.attempts))
            return key, None
        return key, reply

    async def _call(self, chunk: list[Claimed], reply: Reply, key: str) -> None:
        refs = [ResidentRef(channel=row.channel, external_id=row.external_id) for row in chunk]
        failures: dict[ResidentRef, DeliveryError] = {}
        whole: DeliveryError | None = None
        self.calls_made += 1
        # Counted when the call goes out, not when its slot was granted: other work on the loop
        # may run in between, and the platform counts this moment.
        self.pacer.started(asyncio.get_running_loop().time())
        try:
            failures = await self.channel.send_once(refs, reply, key)
        except DeliveryError as error:
            whole = error
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a bug in an adapter must not stop the broadcast
            log.exception("%s: неожиданный сбой send_once", self.channel.name)
            whole = DeliveryError(f"{type(error).__name__}: {error}")
        # One call, tried once: each rate-limit answer is one error (a failed whole call, or one
        # recipient's call among several).
        answers = [whole] if whole is not None else list({id(e): e for e in failures.values()}.values())
        self.metrics.rate_limit_answer(self.channel.name, sum(1 for e in answers if e.retry_after is not None))
        again: list[Claimed] = []
        last_error: DeliveryError | None = None
        for row, ref in zip(chunk, refs):
            error = whole or failures.get(ref)
            if error is not None and error.unknown and self.idempotent and not error.permanent \
                    and row.attempts + 1 < self.settings.max_attempts:
                again.append(replace(row, attempts=row.attempts + 1))
                last_error = error
            else:
                self._settle(row, error)
        if again:
            # The platform drops a repeat with the same key: repeat these together, with it.
            wait = self._pause(again[0].attempts, last_error)
            heapq.heappush(self._again, (asyncio.get_running_loop().time() + wait, again[0].id, again, reply, key))

    def _pause(self, attempts: int, error: DeliveryError | None) -> float:
        """The shared policy's pause (``bot.core.retrying``); a rate limit holds the whole channel."""
        retry_after = float(error.retry_after) if error is not None and error.retry_after is not None else None
        if retry_after is not None:
            self.pacer.hold(asyncio.get_running_loop().time() + retry_after)
        return self.retry_policy.pause(attempts, retry_after)

    def _settle(self, row: Claimed, error: DeliveryError | None) -> None:
        attempts = row.attempts + 1
        if error is None:
            self._outcomes.append((row.id, DeliveryStatus.SENT, None, None, attempts))
            self.metrics.sent(self.channel.name)
            return
        text = str(error)[:500]
        if error.permanent:
            self._outcomes.append((row.id, DeliveryStatus.FAILED, None, text, attempts))
            if row.resident_id is not None:
                self._unreachable.append(row.resident_id)
            return
        if error.unknown and not self.idempotent:
            self._outcomes.append((row.id, DeliveryStatus.UNKNOWN, None, text, attempts))
            return
        if attempts >= self.settings.max_attempts:
            self._outcomes.append((row.id, DeliveryStatus.FAILED, None, f"{text} (after {attempts} tries)"[:500],
                                   attempts))
            return
        self._outcomes.append((row.id, DeliveryStatus.PENDING, _later(self._pause(attempts, error)), text, attempts))

    # -- claiming and recording ----------------------------------------------------------------

    async def _sync_loop(self) -> None:
        while not self._stopping.is_set():
            await self._wait(self._sync_wanted, self.settings.flush_seconds)
            self._sync_wanted.clear()
            if self._stopping.is_set():
                break
            try:
                await self._sync()
            except Exception:
                log.exception("%s: итоги рассылки не записались; пробуем снова", self.channel.name)
                await self._wait(self._stopping, self.settings.flush_seconds)

    async def _sync(self, final: bool = False) -> None:
        """One transaction: write the outcomes gathered, give back rows of broadcasts no longer
        sending (paused, cancelled), and claim the next page if the queue runs low."""
        async with self._sync_lock:
            clock = asyncio.get_running_loop().time
            flush_due = final or clock() - self._last_write >= self.settings.flush_seconds
            want = 0
            if not final and len(self._queue) < self.low_water and clock() >= self._quiet_until:
                want = min(self.settings.claim_size, self.window - self._outstanding)
                if want > 0 and not await self.db.reader.broadcasts.has_due(self.channel.name, now()):
                    want = 0  # nothing to take: do not look again before the next flush
                    self._quiet_until = clock() + self.settings.flush_seconds
            if want <= 0 and not (flush_due and (self._outcomes or self._unreachable or self._unreleased)):
                if not (flush_due and self._queue) and not (final and self._again):
                    return
                # Only rows waiting in the queue: a write is needed only if their broadcast stopped.
                queued = {row.broadcast_id for row in self._queue}
                statuses = await self.db.reader.broadcasts.statuses(queued)
                if not final and all(statuses.get(i) == BroadcastStatus.SENDING for i in queued):
                    return
            outcomes, self._outcomes = self._outcomes, []
            unreachable, self._unreachable = self._unreachable, []
            released: list[int] = list(self._unreleased)
            claimed: list[Claimed] = []
            fresh: dict[int, BroadcastRow] = {}
            try:
                async with self.db.transaction() as tx:
                    if outcomes:
                        await tx.broadcasts.record(outcomes)
                    if unreachable:
                        await tx.broadcasts.forget_unreachable(unreachable)
                    queued = {row.broadcast_id for row in self._queue}
                    statuses = await tx.broadcasts.statuses(queued)
                    # No await between choosing the rows and taking them out of the queue.
                    gone = [row for row in self._queue
                            if final or statuses.get(row.broadcast_id) != BroadcastStatus.SENDING]
                    if gone:
                        gone_ids = {row.id for row in gone}
                        self._queue = deque(row for row in self._queue if row.id not in gone_ids)
                        released.extend(gone_ids)
                    if final:
                        released.extend(row.id for _, _, rows, _, _ in self._again for row in rows)
                        self._again.clear()
                    if released:
                        await tx.broadcasts.release(released)
                    if want > 0:
                        claimed = await tx.broadcasts.claim(self.channel.name, want, now())
                        for broadcast_id in {row.broadcast_id for row in claimed} - set(self._definitions):
                            definition = await tx.broadcasts.get(broadcast_id)
                            if definition is not None:
                                fresh[broadcast_id] = definition
            except BaseException:
                self._outcomes[:0] = outcomes
                self._unreachable[:0] = unreachable
                self._unreleased = released
                raise
            self._unreleased = []
            self._last_write = clock()
            self._outstanding += len(claimed) - len(outcomes) - len(released)
            for broadcast_id, definition in fresh.items():
                self._definitions[broadcast_id] = definition
                self._personal[broadcast_id] = uses_name(definition.texts)
            if claimed:
                self._queue.extend(claimed)
                self._filled.set()
