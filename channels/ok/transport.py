"""OK API calls over one aiohttp session, with a bounded retry, and OK's errors in the core's terms.

There is no maintained Python client for OK's Bot API: the PyPI packages for OK (``ok_api``,
``odnoklassniki``) wrap the signed REST methods of OK applications, not the group bot's Graph
API, and the only bot client found is a JavaScript one (``node-ok-bot-api``). The bot API is
three JSON calls, so this is thin aiohttp code: ``POST /graph/me/subscribe``, ``POST
/graph/me/messages/<chat_id>``, and fetching a photo's ``url``. The token goes in the
``access_token`` query parameter, as OK requires; it is never logged.

OK answers errors as JSON with ``error_code`` and ``error_msg`` (often with HTTP 200 and an
``invocation-error`` header). ``classify`` maps them to the shared terms, for replies
(``OkApi.call``, under the shared retry policy) and broadcasts (one attempt):

- 8 FLOOD_BLOCKED, 11 LIMIT_REACHED, HTTP 429 → a rate limit; OK names no wait, so
  ``ok.rate_limit_pause_seconds``;
- 1 UNKNOWN, 2 SERVICE, 9999 SYSTEM, HTTP 5xx, an answer that is not JSON → transient;
- a time-out or a connection lost after the request was written → unknown: a reply is tried
  again (as it always was), a broadcast is not (OK has no idempotency key);
- 10 PERMISSION_DENIED, 7 ACTION_BLOCKED, 300 NOT_FOUND → permanent: the resident does not
  accept the group's messages any more (blocked it) or the dialogue is gone;
- anything else (a revoked token, a malformed request) → not permanent: the operator's problem,
  and the resident must not be marked unreachable for it.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from bot.core.channel import DeliveryError
from bot.core.delivery_errors import Failure, Kind
from bot.core.retrying import RetryPolicy, with_retries
from channels.body import read_whole
from channels.ok.settings import OkSettings

RATE_LIMITED = {8, 11}
TRANSIENT = {1, 2, 9999}
GONE = {7, 10, 300}


class OkError(Exception):
    def __init__(self, message: str, *, code: int | None = None, status: int = 0,
                 rate_limited: bool = False, transient: bool = False, sent_maybe: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # for a rate limit: OK names no wait, so the setting's
        self.code = code
        self.status = status
        self.rate_limited = rate_limited
        self.transient = transient
        self.sent_maybe = sent_maybe

    @property
    def permanent(self) -> bool:
        return self.code in GONE


class OkApi:
    def __init__(self, settings: OkSettings) -> None:
        self.settings = settings
        assert settings.token is not None
        self._token = settings.token.get_secret_value()
        self._base = settings.api_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None
        self.policy = RetryPolicy(attempts=settings.send_attempts, backoff_seconds=settings.retry_backoff_seconds)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.settings.request_timeout_seconds),
                connector=aiohttp.TCPConnector(limit=self.settings.max_connections))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def once(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """One POST to ``/graph/<path>``; OK's answer, or ``OkError``."""
        url = f"{self._base}/graph/{path}"
        try:
            async with self.session.post(url, params={"access_token": self._token}, json=body) as response:
                raw = await response.read()
                status = response.status
        except aiohttp.ClientConnectorError as error:
            raise OkError(f"cannot connect to OK: {type(error).__name__}", transient=True) from error
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise OkError(f"no answer from OK: {type(error).__name__}", transient=True,
                          sent_maybe=True) from error
        return _answer(status, raw, self.settings.rate_limit_pause_seconds)

    async def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """``once``, tried ``send_attempts`` times on rate limits and transient failures, then
        ``DeliveryError``. Pauses are ``asyncio.sleep``: other residents are served meanwhile."""
        name = path.split("/")[1] if "/" in path else path
        return await with_retries(lambda: self.once(path, body), lambda error: classify(error).named(f"ok {name}"),
                                  self.policy, what=f"ОК: {name}")

    async def fetch(self, url: str, limit: int) -> bytes:
        """A photo from OK's content servers (the ``url`` of an ``IMAGE`` attachment)."""
        try:
            async with self.session.get(url) as response:
                if response.status >= 500:
                    raise DeliveryError(f"ok photo download: HTTP {response.status}")
                if response.status != 200:
                    raise DeliveryError(f"ok photo download: HTTP {response.status}", permanent=True)
                if (response.content_length or 0) > limit:
                    raise DeliveryError(f"the photo is {response.content_length} bytes, over {limit}",
                                        permanent=True)
                data = await read_whole(response.content, limit)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise DeliveryError(f"ok photo download failed: {type(error).__name__}") from error
        if data is None:
            raise DeliveryError(f"the photo is over {limit} bytes", permanent=True)
        return data


def _answer(status: int, raw: bytes, rate_limit_pause: float) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        body = None
    if isinstance(body, dict) and isinstance(body.get("error_code"), int):
        code = body["error_code"]
        message = f"error {code}: {body.get('error_msg', '')}"
        return _raise(OkError(message, code=code, status=status, rate_limited=code in RATE_LIMITED,
                              transient=code in TRANSIENT, retry_after=rate_limit_pause))
    if status == 429:
        return _raise(OkError("HTTP 429", status=status, rate_limited=True, retry_after=rate_limit_pause))
    if status >= 500:
        return _raise(OkError(f"HTTP {status}", status=status, transient=True))
    if status != 200 or not isinstance(body, dict):
        return _raise(OkError(f"HTTP {status}, not an OK answer", status=status, transient=status == 200))
    return body


def _raise(error: OkError) -> dict[str, Any]:
    raise error


def classify(error: BaseException) -> Failure:
    """A failed OK call in the shared terms."""
    if not isinstance(error, OkError):
        return Failure(Kind.UNKNOWN, f"{type(error).__name__}: {error}")
    if error.permanent:
        return Failure(Kind.GONE, str(error))
    if error.rate_limited:
        return Failure(Kind.RATE_LIMITED, str(error), retry_after=error.retry_after)
    if error.sent_maybe:
        return Failure(Kind.UNKNOWN, f"{error}; OK may have delivered it")
    if error.transient:
        return Failure(Kind.TRANSIENT, str(error))
    return Failure(Kind.REJECTED, str(error))
