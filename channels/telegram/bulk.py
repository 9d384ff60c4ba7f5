"""Broadcast sends to Telegram: one attempt per resident, Telegram's answer in the core's terms.

The broadcast sender paces messages to ``telegram.broadcast_per_second`` (Telegram allows a bot
about 30 messages a second overall) and retries; here nothing is retried or waited out, unlike
``channels.telegram.calls.Caller`` for replies. The mapping:

- 429 → ``retry_after`` as Telegram names it (``parameters.retry_after``);
- 5xx, an answer that is not Bot API JSON (a proxy's HTML 502), a refused connection → transient;
- a time-out or a connection lost after the request was written → ``unknown``: Telegram may have
  delivered it, and the Bot API has no idempotency key, so the sender does not repeat it;
- 403 (blocked, deactivated, kicked) and "chat not found" / "user is deactivated" → permanent;
- any other 400, 401, 409, 413 → not permanent: our request or our token is wrong, not the
  resident's chat, so the resident must not be marked unreachable for it.
"""
from __future__ import annotations

from aiogram.exceptions import (ClientDecodeError, TelegramAPIError, TelegramBadRequest,
                                TelegramEntityTooLarge, TelegramForbiddenError, TelegramNetworkError,
                                TelegramRetryAfter, TelegramServerError)

from bot.channel import DeliveryError
from channels.telegram.calls import GONE

# aiogram's AiohttpSession turns every aiohttp failure into TelegramNetworkError and keeps the
# aiohttp class name at the start of the message; these never got the request to Telegram.
NOT_SENT = ("ClientConnectorError", "ClientConnectorCertificateError", "ClientConnectorSSLError",
            "ClientProxyConnectionError", "ClientSSLError", "InvalidURL")


def classify(name: str, error: Exception) -> DeliveryError:
    """``error`` raised by one Bot API call, as the broadcast sender needs to know it."""
    match error:
        case TelegramRetryAfter():
            return DeliveryError(f"{name}: flood control, retry after {error.retry_after} s",
                                 retry_after=float(error.retry_after))
        case TelegramForbiddenError():
            return DeliveryError(f"{name}: {error.message}", permanent=True)
        case TelegramBadRequest():
            gone = any(words in error.message.lower() for words in GONE)
            return DeliveryError(f"{name}: {error.message}", permanent=gone)
        case TelegramServerError():
            return DeliveryError(f"{name}: {error.message}")
        case TelegramEntityTooLarge():  # a subclass of TelegramNetworkError, but an answer (413)
            return DeliveryError(f"{name}: {error.message}")
        case ClientDecodeError():
            return DeliveryError(f"{name}: the answer was not Bot API JSON")
        case TelegramNetworkError():
            if error.message.startswith(NOT_SENT):
                return DeliveryError(f"{name}: {error.message}")
            return DeliveryError(f"{name}: {error.message}; Telegram may have delivered it", unknown=True)
        case TelegramAPIError():
            return DeliveryError(f"{name}: {error.message}")
    return DeliveryError(f"{name}: {type(error).__name__}: {error}", unknown=True)
