"""Bot API calls under the shared retry policy, and Telegram's errors in the shared terms.

``classify`` is the one mapping, for replies (``Caller``, retried by ``bot.core.retrying``) and for
broadcasts (``TelegramChannel.send_bulk``, one attempt each):

- 429 → rate limited, for ``parameters.retry_after`` seconds (waited out when at most
  ``telegram.max_retry_after_seconds``);
- 5xx, an answer that is not Bot API JSON (a proxy's HTML 502), a refused connection → transient;
- a time-out or a connection lost after the request was written → unknown: Telegram may have
  delivered it (the Bot API has no idempotency key, so the broadcast sender does not repeat it;
  a reply is tried again, as it always was);
- 403 (blocked, deactivated, kicked) and "chat not found" / "user is deactivated" → gone: the
  core marks the resident unreachable;
- any other 400, 401, 409, 413 → rejected: our request or our token is wrong, not the
  resident's chat, so the resident must not be marked unreachable for it.
"""
from __future__ import annotations

from typing import TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import TelegramMethod

from bot.core.delivery_errors import Failure, Kind
from bot.core.retrying import RetryPolicy, with_retries
from channels.telegram.settings import TelegramSettings

T = TypeVar("T")

# 400 answers that mean the resident's chat is gone for good, not that our request was wrong.
GONE = ("chat not found", "user not found", "peer_id_invalid", "user is deactivated")

# aiogram's AiohttpSession turns every aiohttp failure into TelegramNetworkError and keeps the
# aiohttp class name at the start of the message; these never got the request to Telegram.
NOT_SENT = ("ClientConnectorError", "ClientConnectorCertificateError", "ClientConnectorSSLError",
            "ClientProxyConnectionError", "ClientSSLError", "InvalidURL")


def classify(error: BaseException) -> Failure:
    """``error`` raised by one Bot API call, in the shared terms."""
    match error:
        case TelegramRetryAfter():
            return Failure(Kind.RATE_LIMITED, f"flood control, retry after {error.retry_after} s",
                           retry_after=float(error.retry_after))
        case TelegramForbiddenError():
            return Failure(Kind.GONE, error.message)
        case TelegramBadRequest():
            gone = any(words in error.message.lower() for words in GONE)
            return Failure(Kind.GONE if gone else Kind.REJECTED, error.message)
        case TelegramServerError():
            return Failure(Kind.TRANSIENT, error.message)
        case TelegramEntityTooLarge():  # a subclass of TelegramNetworkError, but an answer (413)
            return Failure(Kind.REJECTED, error.message)
        case ClientDecodeError():
            return Failure(Kind.TRANSIENT, "the answer was not Bot API JSON")
        case TelegramNetworkError():
            if error.message.startswith(NOT_SENT):
                return Failure(Kind.TRANSIENT, error.message)
            return Failure(Kind.UNKNOWN, f"{error.message}; Telegram may have delivered it")
        case TelegramAPIError():
            return Failure(Kind.REJECTED, error.message)
    return Failure(Kind.UNKNOWN, f"{type(error).__name__}: {error}")


class Caller:
    """One Bot API call for a reply, tried ``telegram.send_attempts`` times."""

    def __init__(self, bot: Bot, settings: TelegramSettings) -> None:
        self.bot = bot
        self.settings = settings
        self.policy = RetryPolicy(attempts=settings.send_attempts, backoff_seconds=settings.retry_backoff_seconds,
                                  max_retry_after_seconds=settings.max_retry_after_seconds)

    async def __call__(self, method: TelegramMethod[T]) -> T:
        name = type(method).__name__
        return await with_retries(
            lambda: self.bot(method, request_timeout=self.settings.request_timeout_seconds),
            lambda error: classify(error).named(name), self.policy, what=f"Telegram: {name}")

