"""When the next call to a platform may start (a broadcast sender's; VK's one pace for a token):
evenly spaced, and never more than the pace in any sliding second, whatever the event loop or
the process did in between.

The pace is ``pace_fraction × calls_per_second`` (29.1 of Telegram's 30). Two rules hold it:

- **Spacing.** Call *i+1* is due one interval (1 / pace) after call *i*'s due time. A call that
  starts a little late (up to half an interval) keeps the schedule, so wake-up delays do not add
  up and slow the sender; a call that starts later than that, after a lag (a restart with rows
  left 'sending', an event-loop stall, a 429's pause, an empty queue), starts the schedule again
  from itself. The calls a lag skipped are never made up, so no two calls start closer than half
  an interval.
- **The window.** At most ⌊pace⌋ calls start in any sliding 1.0 s (29 for Telegram), counted on
  the same clock. This is the guarantee the platform sees, with ``ceiling − ⌊pace⌋`` calls to
  spare for the jitter between our clock and its clock; spacing alone would let 30 calls start
  within 0.997 s.

Why not a library: aiolimiter is a leaky bucket, which lets a full bucket's worth of calls go at
once (after a lag: a burst at the ceiling, the defect this replaces); pyrate-limiter's sliding
window log with a one-call-per-interval rate would forbid the small catch-up that keeps the pace,
and sleeps on its own, where the sender must also wake for a stop or a 429's hold.
"""
from __future__ import annotations

import math
from collections import deque

WINDOW = 1.0  # seconds: the platforms state their ceilings per second


class Pacer:
    def __init__(self, calls_per_second: float, pace_fraction: float) -> None:
        self.pace = calls_per_second * pace_fraction
        self.interval = 1.0 / self.pace
        self.per_window = max(1, math.floor(self.pace * WINDOW))
        self._tolerance = self.interval / 2
        self._due = -math.inf           # the schedule's next slot (loop time)
        self._hold_until = -math.inf    # a 429's retry_after holds the whole channel
        self._starts: deque[float] = deque(maxlen=self.per_window)

    def next_start(self) -> float:
        """The earliest loop time at which the next call may start (may be in the past)."""
        slot = max(self._due, self._hold_until)
        if len(self._starts) == self.per_window:
            slot = max(slot, self._starts[0] + WINDOW)
        return slot

    def started(self, at: float) -> None:
        """A call started at loop time ``at`` (not before ``next_start()``)."""
        on_schedule = at - self._due <= self._tolerance
        self._due = (self._due if on_schedule else at) + self.interval
        self._starts.append(at)

    def hold(self, until: float) -> None:
        """No call before ``until`` (the platform said when to come back)."""
        self._hold_until = max(self._hold_until, until)
