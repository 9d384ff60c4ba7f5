"""How much one browser (session) and one address may send to the web chat.

Each limit is a sliding-window counter, the approximation rate limiters such as Cloudflare's and
the ``limits`` library's ``SlidingWindowCounterRateLimiter`` use: per key, the counts of the
current fixed window and of the previous one, the previous weighted by how much of it the sliding
window still covers. That is O(1) time and three numbers per key, and a burst is refused exactly
(40 messages in the first seconds of a minute leave no room for a 41st).

Why not ``limits`` itself, which we tried first: its in-memory storages expire keys by scanning
every key — the asyncio one after every operation, hopping to a thread once per key; the threaded
one every 10 ms. With a hundred residents the web chat's throughput fell from 3,300 to 2,000
messages a second (``make bench``), and the scan grows with every browser that has written in the
last minute. Here a key expires lazily, when it is next read, and a sweep once per window drops the
keys nobody used since, so memory stays bounded by the sessions and addresses of two windows.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

from channels.webchat.settings import WebchatSettings

MIB = 1024 * 1024


@dataclass(frozen=True)
class Refusal:
    """Over a limit: too many ``what`` ("messages" or "uploads") from one ``who`` ("session" or
    "address"); there is room again in ``retry_after`` seconds."""

    what: str
    who: str
    retry_after: int


class SlidingWindow:
    """At most ``limit`` units per key in any ``seconds`` (approximately: see the module)."""

    def __init__(self, limit: int, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.seconds = seconds
        self._clock = clock
        self._keys: dict[str, list[float]] = {}  # key → [start of the current window, its count, the previous count]
        self._swept = clock()

    def wait(self, key: str, cost: int = 1) -> float:
        """0 when ``cost`` more units fit now; else the seconds until they will."""
        now = self._clock()
        start, current, previous = self._window(key, now)
        room = self.limit - cost
        if previous * (1 - (now - start) / self.seconds) + current <= room:
            return 0.0
        if current <= room:  # room comes as the previous window slides out
            return start + self.seconds * (1 - (room - current) / previous) - now
        if cost > self.limit:
            return self.seconds  # never fits: the caller refuses it whatever the wait
        # After this window ends, as it slides out in turn; but never named longer than the
        # window itself, after which an exact count would have room (the estimate may then
        # answer once more, with what is left).
        return min(start + self.seconds * (2 - room / current) - now, self.seconds)

    def take(self, key: str, cost: int = 1) -> None:
        now = self._clock()
        window = self._window(key, now)
        window[1] += cost
        self._keys[key] = window

    def _window(self, key: str, now: float) -> list[float]:
        if now - self._swept > self.seconds:
            self._sweep(now)
        start = now - now % self.seconds
        window = self._keys.get(key)
        if window is None or window[0] < start - self.seconds:
            return [start, 0, 0]
        if window[0] < start:  # the next window: the current count becomes the previous one
            return [start, 0, window[1]]
        return window

    def _sweep(self, now: float) -> None:
        """Forget keys whose counts no longer matter (nothing in the last two windows)."""
        oldest = now - now % self.seconds - self.seconds
        self._keys = {key: window for key, window in self._keys.items() if window[0] >= oldest}
        self._swept = now


class Throttle:
    def __init__(self, settings: WebchatSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self._messages = {
            "session": SlidingWindow(settings.messages_per_minute_per_session, 60, clock),
            "address": SlidingWindow(settings.messages_per_minute_per_address, 60, clock),
        }
        self._uploads = {
            "session": SlidingWindow(settings.upload_mb_per_hour_per_session * MIB, 3600, clock),
            "address": SlidingWindow(settings.upload_mb_per_hour_per_address * MIB, 3600, clock),
        }

    def address_may_send(self, address: str) -> Refusal | None:
        """Before a body is read: is this address over its message limit already? (Not counted.)"""
        return self._refusal("messages", "address", self._messages["address"].wait(address))

    def address_may_upload(self, address: str, size: int) -> Refusal | None:
        """Before a photo is read: would ``size`` more bytes take the address over? (Not counted.)"""
        return self._refusal("uploads", "address", self._uploads["address"].wait(address, max(1, size)))

    def message(self, session: str, address: str) -> Refusal | None:
        """Count one message of this session from this address, or say why it is refused."""
        return self._take("messages", self._messages, 1, session, address)

    def upload(self, session: str, address: str, size: int) -> Refusal | None:
        """Count ``size`` photo bytes of this session from this address, or say why they are refused."""
        return self._take("uploads", self._uploads, max(1, size), session, address)

    def _take(self, what: str, windows: dict[str, SlidingWindow], cost: int, session: str,
              address: str) -> Refusal | None:
        keys = {"session": session, "address": address}
        for who, window in windows.items():  # counted only when every window has room
            if refusal := self._refusal(what, who, window.wait(keys[who], cost)):
                return refusal
        for who, window in windows.items():
            window.take(keys[who], cost)
        return None

    @staticmethod
    def _refusal(what: str, who: str, wait: float) -> Refusal | None:
        return Refusal(what, who, max(1, math.ceil(wait))) if wait > 0 else None
