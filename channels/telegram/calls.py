"""Bot API calls with a bounded retry, and Telegram's errors in the core's terms.

A 429 names its own wait (``retry_after``) and is waited out when it is short; server errors,
answers that are not JSON (a proxy's HTML 502) and time-outs are retried with a doubling pause.
When the tries are spent the failure is transient for the core (``DeliveryError``, not
permanent): the reply stays in the outbox and is sent again later. A 403 (the resident blocked
the bot or deleted the account) and "chat not found" cannot get better by trying, so they are
permanent, and the core marks the resident unreachable. Pauses are ``asyncio.sleep``: the loop
keeps serving every other resident while one waits.
"""
from __future__ import annotations

import asyncio
import logging
from typing import TypeVar

from aiogram import Bot
from aiogram.exceptions import (ClientDecodeError, TelegramAPIError, TelegramBadRequest,
                                TelegramEntityTooLarge, TelegramForbiddenError, TelegramNetworkError,
                                TelegramRetryAfter, TelegramServerError)
from aiogram.methods import TelegramMethod

from bot.channel import DeliveryError
from bot.config import TelegramSettings

log = logging.getLogger(__name__)
T = TypeVar("T")

# 400 answers that mean the resident's chat is gone for good, not that our request was wrong.
GONE = ("chat not found", "user not found", "peer_id_invalid", "user is deactivated")


class Caller:
    def __init__(self, bot: Bot, settings: TelegramSettings) -> None:
        self.bot = bot
        self.settings = settings

    async def __call__(self, method: TelegramMethod[T]) -> T:
        settings = self.settings
        name = type(method).__name__
        for attempt in range(1, settings.send_attempts + 1):
            last = attempt == settings.send_attempts
            try:
                return await self.bot(method, request_timeout=settings.request_timeout_seconds)
            except TelegramRetryAfter as error:
                if last or error.retry_after > settings.max_retry_after_seconds:
                    raise DeliveryError(f"{name}: flood control, retry after {error.retry_after} s",
                                        retry_after=error.retry_after) from error
                pause = float(error.retry_after)
            except TelegramForbiddenError as error:
                raise DeliveryError(f"{name}: {error.message}", permanent=True) from error
            except TelegramBadRequest as error:
                gone = any(words in error.message.lower() for words in GONE)
                raise DeliveryError(f"{name}: {error.message}", permanent=gone) from error
            except TelegramEntityTooLarge as error:
                raise DeliveryError(f"{name}: {error.message}", permanent=True) from error
            except (TelegramServerError, TelegramNetworkError, ClientDecodeError) as error:
                if last:
                    raise DeliveryError(f"{name}: {_describe(error)} ({attempt} tries)") from error
                pause = settings.retry_backoff_seconds * 2 ** (attempt - 1)
            except TelegramAPIError as error:
                # 401 (a revoked token), 409 and the rest: the operator's problem, not the resident's.
                raise DeliveryError(f"{name}: {error.message}") from error
            log.info("Telegram: %s не удалось (попытка %d из %d); снова через %.1f с",
                     name, attempt, settings.send_attempts, pause)
            await asyncio.sleep(pause)
        raise AssertionError("send_attempts is at least 1")


def _describe(error: Exception) -> str:
    if isinstance(error, ClientDecodeError):
        return "the answer was not Bot API JSON"
    return getattr(error, "message", str(error))
