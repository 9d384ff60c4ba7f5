"""A platform's rate limit as every fake enforces it: at most ``limit`` calls per key (a bot
token) in any sliding second. A call over it is refused; the fake answers in its own wire format.

Two ways to count. By default only the calls let through fill the window, so a client that is
refused can try again at once. ``strict`` counts every request that arrived in the last 1.0 s,
refused ones too, each stamped when it arrived (before its body is read): the harshest reading of
"at most N a second", under which a client gets through only by never going over it.
"""
from __future__ import annotations

import bisect
import math
import time
from collections import defaultdict, deque


class SlidingWindows:
    def __init__(self, strict: bool = False) -> None:
        self.strict = strict
        self._windows: dict[str, deque[float]] = defaultdict(deque)

    def admit(self, key: str, limit: int | None, accepted_at: list[float],
              arrived: float | None = None) -> float | None:
        """None when the call fits (it is then counted, and its time appended to ``accepted_at``),
        else the seconds until a call would fit. ``arrived``: the request's ``time.monotonic()``
        when it reached the fake (default: now)."""
        if limit is None:
            return None
        now = time.monotonic() if arrived is None else arrived
        window = self._windows[key]
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= limit:
            if self.strict:
                bisect.insort(window, now)
                return window[-math.ceil(limit)] + 1.0 - now  # when that many have left it
            return window[0] + 1.0 - now
        bisect.insort(window, now)  # requests stamped on arrival may be counted out of order
        accepted_at.append(now)
        return None
