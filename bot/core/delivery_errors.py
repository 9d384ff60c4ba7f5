"""One classification of a failed platform call, shared by every channel and the broadcasts.

Each channel maps its own errors (HTTP statuses, an SDK's exceptions, a platform's error codes)
to a ``Failure`` with one function, ``classify(error) -> Failure``; the retry policy
(``bot.core.retrying``) and the core only ever look at the ``Kind``, so "what may be tried again" and
"who is to blame" are decided once, here, not seven times over.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from bot.core.channel import DeliveryError


class Kind(StrEnum):
    RATE_LIMITED = "rate_limited"  # the platform asks us to wait ``retry_after`` seconds
    TRANSIENT = "transient"        # 5xx, a refused connection, an answer that is not the API's
    UNKNOWN = "unknown"            # no answer after the request left: the platform may have it
    GONE = "gone"                  # the resident blocked the bot or is gone: unreachable
    REJECTED = "rejected"          # our request or our token is wrong: not the resident's fault


RETRYABLE = frozenset({Kind.RATE_LIMITED, Kind.TRANSIENT, Kind.UNKNOWN})


@dataclass(frozen=True)
class Failure:
    """What one failed call means: its ``kind``, words for the log, and the wait a 429 named."""

    kind: Kind
    detail: str
    retry_after: float | None = None

    def named(self, what: str) -> Failure:
        """The same failure, its detail prefixed with the call it came from."""
        return replace(self, detail=f"{what}: {self.detail}")

    def as_error(self, rate_limit_pause: float | None = None) -> DeliveryError:
        """The failure as the core's ``DeliveryError``: ``GONE`` is permanent (the resident is
        marked unreachable), ``UNKNOWN`` may have been delivered, a rate limit keeps its wait
        (``rate_limit_pause`` when the platform named none: the channel's setting)."""
        wait = None
        if self.kind is Kind.RATE_LIMITED:
            wait = self.retry_after if self.retry_after is not None else rate_limit_pause
        return DeliveryError(self.detail, permanent=self.kind is Kind.GONE, retry_after=wait,
                             unknown=self.kind is Kind.UNKNOWN)
