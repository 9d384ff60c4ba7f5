"""A platform's rate limit as every fake enforces it: at most ``limit`` calls per key (a bot
token) in any sliding second. A call over it is refused; the fake answers in its own wire format."""
from __future__ import annotations

import time
from collections import defaultdict, deque


class SlidingWindows:
    def __init__(self) -> None:
        self._windows: dict[str, deque[float]] = defaultdict(deque)

    def admit(self, key: str, limit: int | None, accepted_at: list[float]) -> float | None:
        """None when the call fits (it is then counted, and its time appended to ``accepted_at``),
        else the seconds until a call would fit."""
        if limit is None:
            return None
        now = time.monotonic()
        window = self._windows[key]
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= limit:
            return window[0] + 1.0 - now
        window.append(now)
        accepted_at.append(now)
        return None
