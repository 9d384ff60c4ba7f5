"""Broadcast sends to MAX: one attempt per resident, MAX's answer in the core's terms.

The broadcast sender paces requests to ``max.requests_per_second`` (about 30 a second per bot)
and retries; here nothing is retried. The mapping:

- 429 → ``retry_after`` = ``max.rate_limit_pause_seconds`` (MAX sends no ``Retry-After``);
- 5xx, and a connection refused before the request left → transient;
- a time-out, or a connection lost after the request was written → ``unknown``: MAX has no
  idempotency key, so the sender does not repeat it;
- 403 ``chat.denied`` (the resident stopped the bot) and 404 (chat or user gone) → permanent;
- 401 / ``verify.token`` and other 4xx → not permanent: our token or request is wrong, the
  resident is not, and must not be marked unreachable for it.
"""
from __future__ import annotations

import asyncio

import aiohttp
from maxapi.exceptions.max import InvalidToken, MaxApiError, MaxConnection

from bot.channel import DeliveryError
from bot.config import MaxSettings
from channels.max.client import TOKEN_CODES

# Failures before the request was written (aiohttp ≥ 3.10 has ConnectionTimeoutError).
NOT_SENT: tuple[type[BaseException], ...] = tuple(
    kind for kind in (aiohttp.ClientConnectorError, getattr(aiohttp, "ConnectionTimeoutError", None)) if kind)


def classify(settings: MaxSettings, what: str, error: BaseException) -> DeliveryError:
    match error:
        case MaxApiError():
            status = error.code
            code = error.raw.get("code", "") if isinstance(error.raw, dict) else ""
            text = f"{what}: {status} {code}".strip()
            if status == 429:
                return DeliveryError(text, retry_after=settings.rate_limit_pause_seconds)
            if status >= 500:
                return DeliveryError(text)
            if status in (403, 404) and code not in TOKEN_CODES:
                return DeliveryError(text, permanent=True)
            return DeliveryError(text)
        case InvalidToken():
            return DeliveryError(f"{what}: MAX refused the token")
        case MaxConnection():
            cause = error.__cause__
            if isinstance(cause, NOT_SENT):  # never connected: nothing was sent
                return DeliveryError(f"{what}: {cause}")
            return DeliveryError(f"{what}: connection lost ({cause or error}); MAX may have delivered it",
                                 unknown=True)
        case asyncio.TimeoutError():
            return DeliveryError(f"{what}: no answer in time; MAX may have delivered it", unknown=True)
        case _ if isinstance(error, NOT_SENT):
            return DeliveryError(f"{what}: {error}")
        case aiohttp.ClientError():
            return DeliveryError(f"{what}: {type(error).__name__}: {error}", unknown=True)
        case RuntimeError():  # maxapi: an attachment never became ready
            return DeliveryError(f"{what}: {error}")
    return DeliveryError(f"{what}: {type(error).__name__}: {error}", unknown=True)
