"""How much one browser (session) and one address may send to the web chat.

Counted with the ``limits`` library in its in-memory storage, which forgets a key once its window
has passed, so memory stays bounded however many sessions and addresses come and go. Messages
are counted in a moving window (exact: never more than N in any 60 seconds); photo bytes in a
sliding-window counter (two numbers per key, whatever the byte count). A request is admitted
only when every window it counts against has room, and only then is it counted in them.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter, RateLimiter, SlidingWindowCounterRateLimiter

from bot.config import WebchatSettings

MIB = 1024 * 1024


@dataclass(frozen=True)
class Refusal:
    """Over a limit: too many ``what`` ("messages" or "uploads") from one ``who`` ("session" or
    "address"); there is room again in ``retry_after`` seconds."""

    what: str
    who: str
    retry_after: int


class Throttle:
    def __init__(self, settings: WebchatSettings) -> None:
        storage = MemoryStorage()
        self._messages = MovingWindowRateLimiter(storage)
        self._bytes = SlidingWindowCounterRateLimiter(storage)
        self._messages_per_session = RateLimitItemPerMinute(settings.messages_per_minute_per_session,
                                                            namespace="messages-session")
        self._messages_per_address = RateLimitItemPerMinute(settings.messages_per_minute_per_address,
                                                            namespace="messages-address")
        self._bytes_per_session = RateLimitItemPerHour(settings.upload_mb_per_hour_per_session * MIB,
                                                       namespace="uploads-session")
        self._bytes_per_address = RateLimitItemPerHour(settings.upload_mb_per_hour_per_address * MIB,
                                                       namespace="uploads-address")

    async def address_may_send(self, address: str) -> Refusal | None:
        """Before a body is read: is this address over its message limit already? (Not counted.)"""
        if await self._messages.test(self._messages_per_address, address):
            return None
        return await self._refusal(self._messages, self._messages_per_address, address)

    async def address_may_upload(self, address: str, size: int) -> Refusal | None:
        """Before a photo is read: would ``size`` more bytes take the address over? (Not counted.)"""
        if await self._bytes.test(self._bytes_per_address, address, cost=max(1, size)):
            return None
        return await self._refusal(self._bytes, self._bytes_per_address, address)

    async def message(self, session: str, address: str) -> Refusal | None:
        """Count one message of this session from this address, or say why it is refused."""
        return await self._take(self._messages, 1,
                                [(self._messages_per_session, session), (self._messages_per_address, address)])

    async def upload(self, session: str, address: str, size: int) -> Refusal | None:
        """Count ``size`` photo bytes of this session from this address, or say why they are refused."""
        return await self._take(self._bytes, max(1, size),
                                [(self._bytes_per_session, session), (self._bytes_per_address, address)])

    async def _take(self, limiter: RateLimiter, cost: int, windows: list[tuple[RateLimitItem, str]]) -> Refusal | None:
        for item, key in windows:
            if not await limiter.test(item, key, cost=cost):
                return await self._refusal(limiter, item, key)
        for item, key in windows:
            if not await limiter.hit(item, key, cost=cost):  # another request took the room meanwhile
                return await self._refusal(limiter, item, key)
        return None

    @staticmethod
    async def _refusal(limiter: RateLimiter, item: RateLimitItem, key: str) -> Refusal:
        stats = await limiter.get_window_stats(item, key)
        what, who = item.namespace.split("-")
        return Refusal(what, who, max(1, math.ceil(stats.reset_time - time.time())))
