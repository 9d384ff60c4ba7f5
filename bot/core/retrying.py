"""The one retry policy for platform calls: bounded tries, a 429's own wait honoured, a doubling
pause after anything else worth trying again.

Built on tenacity rather than backoff (which maxapi already installs): tenacity's ``AsyncRetrying``
takes the wait as a function of the attempt's outcome, so a 429's ``retry_after`` and the
doubling pause are one wait function, and whether to try again can look at the failure too (a
429 asking for longer than ``max_retry_after`` is not waited out); backoff's wait generators see
only the attempt number. Pauses are ``asyncio.sleep``: the loop serves every other resident meanwhile.

What is tried again is decided by the shared classification (``bot.core.delivery_errors``): rate
limits, transient failures and — only where ``retry_unknown`` says a repeat cannot show a
message twice — unknown outcomes. When the tries are spent, or at once for anything else, the
last failure is raised as the core's ``DeliveryError`` (one the call raised itself, with its own
type, as it is: a channel may catch its subclasses).
"""
from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from bot.core.channel import DeliveryError
from bot.core.delivery_errors import RETRYABLE, Failure, Kind
from bot.core.metrics import note_rate_limit_answer

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """A channel's settings for one call's tries (the broadcast sender takes only its pauses)."""

    attempts: int                                 # tries in all (a channel's ``send_attempts``)
    backoff_seconds: float                        # the first pause; doubled after each failed try
    max_backoff_seconds: float = math.inf         # the longest doubling pause
    max_retry_after_seconds: float = math.inf     # a 429 asking for longer is given up at once
    retry_unknown: bool = True                    # repeat a call whose request may have arrived

    def worth_retrying(self, failure: Failure) -> bool:
        if failure.kind not in RETRYABLE:
            return False
        if failure.kind is Kind.UNKNOWN:
            return self.retry_unknown
        if failure.kind is Kind.RATE_LIMITED:
            return (failure.retry_after or 0.0) <= self.max_retry_after_seconds
        return True

    def pause(self, attempt: int, retry_after: float | None = None) -> float:
        """The wait after failed try number ``attempt`` (1-based): the wait a rate limit named,
        else the doubling pause."""
        if retry_after is not None:
            return retry_after
        return min(self.backoff_seconds * 2.0 ** (attempt - 1), self.max_backoff_seconds)


class Failed(Exception):
    """A call's exception with its classification, inside the retry loop only."""

    def __init__(self, failure: Failure, cause: BaseException) -> None:
        super().__init__(failure.detail)
        self.failure = failure
        self.cause = cause


async def with_retries(call: Callable[[], Awaitable[T]], classify: Callable[[BaseException], Failure],
                       policy: RetryPolicy, *, what: str) -> T:
    """``call()`` under ``policy``; each exception it raises is judged by the channel's
    ``classify``. Given up, the last failure is raised as a ``DeliveryError``."""

    async def attempt() -> T:
        try:
            return await call()
        except Exception as error:
            failure = classify(error)
            if failure.kind is Kind.RATE_LIMITED:
                note_rate_limit_answer()
            raise Failed(failure, error) from error

    def failure_of(state: RetryCallState) -> Failure:
        error = state.outcome.exception() if state.outcome is not None else None
        assert isinstance(error, Failed)
        return error.failure

    def wait(state: RetryCallState) -> float:
        failure = failure_of(state)
        return policy.pause(state.attempt_number,
                            failure.retry_after if failure.kind is Kind.RATE_LIMITED else None)

    def before_sleep(state: RetryCallState) -> None:
        log.info("%s не удалось (%s, попытка %d из %d); снова через %.2f с", what, failure_of(state).detail,
                 state.attempt_number, policy.attempts, state.upcoming_sleep)

    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.attempts), wait=wait, before_sleep=before_sleep, reraise=True,
        retry=retry_if_exception(lambda error: isinstance(error, Failed) and policy.worth_retrying(error.failure)))
    try:
        return await retrying(attempt)
    except Failed as failed:
        if isinstance(failed.cause, DeliveryError):  # already classified: raised as it came, its own
            raise failed.cause from failed.cause.__cause__  # cause kept, the loop's wrapper left out
        raise failed.failure.as_error() from failed.cause

