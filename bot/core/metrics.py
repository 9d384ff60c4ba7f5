"""What the bot counts for Prometheus: the metric objects, in one place, and the few calls that
move them.

Each ``Metrics`` has a registry of its own (not prometheus_client's global one), so that several
applications in one process (the tests) keep their figures apart and a ``/metrics`` page shows
one bot's. Counters and the latency histogram move where things happen (the intake, the batch
worker, the delivery, the broadcast senders, ``with_retries``); the gauges are read from
storage when the page is asked for (``refresh``), since the rows are the truth and another
process may have changed them.

Rate-limit answers are counted per platform answer: while a reply is delivered
(``counting_rate_limits``, set by the delivery for its task), ``with_retries`` counts each 429 or
flood-control code the channel's classification names, the ones waited out included; a
broadcast call, tried once, is counted by its sender. A long poll's own 429 is not counted.

The gauges are read from the shared database, so in a cluster every process shows the same
figure (aggregate them with ``max``, not ``sum``); the counters are each process's own.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from storage.ports.repositories import Repositories

# From a webhook's commit to its answer's commit: tens of milliseconds; a retry after a crash: minutes.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0)

# Who counts a rate-limit answer met inside ``with_retries`` now: set per task by the caller.
_rate_limit_counter: ContextVar[Callable[[], None] | None] = ContextVar("rate_limit_counter", default=None)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.events_stored = Counter("souchastie_events_stored", "Events written to the inbox", ["channel"],
                                     registry=r)
        self.events_processed = Counter("souchastie_events_processed",
                                        "Events processed and committed (a handler's failure not included)",
                                        ["channel"], registry=r)
        self.events_failed = Counter("souchastie_events_failed", "Events whose processing failed", ["channel"],
                                     registry=r)
        self.processing_seconds = Histogram("souchastie_processing_seconds",
                                            "From the event's storing to its processing's commit",
                                            ["channel"], buckets=LATENCY_BUCKETS, registry=r)
        self.messages_sent = Counter("souchastie_messages_sent",
                                     "Replies and broadcast messages the platform accepted (the web chat's: written)",
                                     ["channel"], registry=r)
        self.rate_limited = Counter("souchastie_rate_limited",
                                    "Rate-limit answers from the platform (429, flood control)", ["channel"],
                                    registry=r)
        self.dead_letters_new = Counter("souchastie_dead_letters_new",
                                        "Stored events set aside for staff: no more attempts", registry=r)
        self.outbox_pending = Gauge("souchastie_outbox_pending", "Messages waiting to be sent, read from storage",
                                    ["channel", "kind"], registry=r)
        self.dead_letters = Gauge("souchastie_dead_letters", "Dead letters in the inbox now, read from storage",
                                  registry=r)
        self._pending_seen: set[tuple[str, str]] = set()

    def stored(self, channel: str, count: int = 1) -> None:
        self.events_stored.labels(channel).inc(count)

    def processed(self, channel: str, since: datetime) -> None:
        """One event committed; ``since``: when it was stored (arrived, for one read back from the inbox)."""
        self.events_processed.labels(channel).inc()
        waited = (datetime.now(timezone.utc) - since).total_seconds()
        self.processing_seconds.labels(channel).observe(max(waited, 0.0))

    def failed(self, channel: str) -> None:
        self.events_failed.labels(channel).inc()

    def sent(self, channel: str, count: int = 1) -> None:
        if count:
            self.messages_sent.labels(channel).inc(count)

    def rate_limit_answer(self, channel: str, count: int = 1) -> None:
        if count:
            self.rate_limited.labels(channel).inc(count)

    def buried(self, count: int = 1) -> None:
        if count:
            self.dead_letters_new.inc(count)

    async def refresh(self, reader: Repositories) -> None:
        """Read the gauges from storage (the rows are the truth: another process may send too)."""
        pending = {(channel, "reply"): count for channel, count in (await reader.outbox.pending_by_channel()).items()}
        pending.update({(channel, "broadcast"): count
                        for channel, count in (await reader.broadcasts.pending_by_channel()).items()})
        for gone in self._pending_seen - set(pending):   # emptied since: 0, not the last figure
            self.outbox_pending.labels(*gone).set(0)
        for labels, count in pending.items():
            self.outbox_pending.labels(*labels).set(count)
        self._pending_seen |= set(pending)
        self.dead_letters.set(await reader.inbox.count_dead_letters())

    def page(self) -> bytes:
        """The text exposition format of every metric."""
        return generate_latest(self.registry)


@contextmanager
def counting_rate_limits(metrics: Metrics, channel: str) -> Iterator[None]:
    """Within the block (in this task), ``with_retries`` counts rate-limit answers for ``channel``."""
    token = _rate_limit_counter.set(lambda: metrics.rate_limit_answer(channel))
    try:
        yield
    finally:
        _rate_limit_counter.reset(token)


def note_rate_limit_answer() -> None:
    """A platform answered "too many requests" to a call: count it where a caller asked to."""
    count = _rate_limit_counter.get()
    if count is not None:
        count()
