"""The Graph API calls the channel makes, over one aiohttp session, and its errors in the core's terms.

Errors come as ``{"error": {"code": …, "message": …}}`` with an HTTP status. The mapping:

- 130429 (throughput reached), 131056 (too many messages to one number), 80007, 4, 613 (rate
  limits) → rate limited, waited out with the shared doubling pause (the Cloud API names no
  retry-after; the broadcast sender is told ``RATE_LIMIT_PAUSE``);
- 131047 (more than 24 hours since the resident last wrote) → ``OutsideWindow``: not the
  resident's fault, so not permanent; the channel falls back to a template or skips;
- 131026 (the receiver cannot get the message: blocked the business, left WhatsApp) and 131050
  (the resident stopped marketing messages) → permanent, the resident is marked unreachable;
- 5xx, an answer that is not JSON, 1, 2, 131000, 131016 (service unavailable) and a refused
  connection → transient; a time-out after the request left → ``unknown``: the Cloud API has no
  idempotency key, so a repeat could deliver twice (replies retry anyway: a duplicate answer is
  better than none; the broadcast sender does not);
- anything else (100 invalid parameter, 190 expired token, 10/200 permissions) → not permanent:
  our request or our token is wrong, not the resident's number.
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
from channels.whatsapp.settings import WhatsappSettings

RATE_LIMITED = {130429, 131056, 80007, 4, 613}
UNAVAILABLE = {1, 2, 131000, 131016}
GONE = {131026, 131050}
OUTSIDE_WINDOW = 131047
RATE_LIMIT_PAUSE = 1.0


class GraphError(DeliveryError):
    """A failed call; ``retryable`` when trying again soon may succeed (rate limits, 5xx, time-outs)."""

    def __init__(self, message: str, *, retryable: bool = False, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retryable = retryable


class OutsideWindow(GraphError):
    """131047: only a template may reach this resident now."""


def classify(error: BaseException) -> Failure:
    """A failed Graph API call in the shared terms (``GraphError`` says which it is)."""
    match error:
        case GraphError(permanent=True):
            return Failure(Kind.GONE, str(error))
        case GraphError(unknown=True):
            return Failure(Kind.UNKNOWN, str(error))
        case GraphError(retryable=True, retry_after=None):
            return Failure(Kind.TRANSIENT, str(error))
        case GraphError(retryable=True):  # a rate limit, but the Cloud API names no wait
            return Failure(Kind.RATE_LIMITED, str(error))
        case DeliveryError():
            return Failure(Kind.REJECTED, str(error))
        case TimeoutError():
            return Failure(Kind.UNKNOWN, f"no answer in time: {error!r}")
        case aiohttp.ClientConnectorError():
            return Failure(Kind.TRANSIENT, f"the Graph API is unreachable: {error}")
    return Failure(Kind.UNKNOWN, f"{type(error).__name__}: {error!r}")


def answer_error(what: str, status: int, body: Any) -> GraphError:
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code")
    text = f"{what}: HTTP {status}, code {code}: {error.get('message') or str(body)[:200]}"
    if code == OUTSIDE_WINDOW:
        return OutsideWindow(text)
    if code in RATE_LIMITED or status == 429:
        return GraphError(text, retry_after=RATE_LIMIT_PAUSE, retryable=True)
    if code in GONE:
        return GraphError(text, permanent=True)
    return GraphError(text, retryable=code in UNAVAILABLE)


class Graph:
    def __init__(self, settings: WhatsappSettings) -> None:
        assert settings.token is not None
        self.settings = settings
        self.base = f"{settings.graph_url.rstrip('/')}/{settings.graph_version}"
        self._headers = {"Authorization": f"Bearer {settings.token.get_secret_value()}"}
        self._session: aiohttp.ClientSession | None = None
        self.policy = RetryPolicy(attempts=settings.send_attempts, backoff_seconds=settings.retry_backoff_seconds)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            timeout = aiohttp.ClientTimeout(total=self.settings.request_timeout_seconds)
            self._session = aiohttp.ClientSession(timeout=timeout, headers=self._headers)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def once(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One request; any failure as a ``DeliveryError``."""
        what = f"{method} {path}"
        try:
            async with self.session.request(method, f"{self.base}/{path.lstrip('/')}", **kwargs) as response:
                raw = await response.read()
                status = response.status
        except asyncio.TimeoutError as error:
            raise GraphError(f"{what}: no answer in time; WhatsApp may have it", unknown=True,
                             retryable=True) from error
        except aiohttp.ClientConnectorError as error:
            raise GraphError(f"{what}: the Graph API is unreachable: {error}", retryable=True) from error
        except aiohttp.ClientError as error:
            raise GraphError(f"{what}: {error!r}; WhatsApp may have it", unknown=True, retryable=True) from error
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = None
        if status >= 500 or (body is None and status != 200):
            raise GraphError(f"{what}: HTTP {status}" + ("; the answer was not JSON" if body is None else ""),
                             retryable=True)
        if status != 200 or not isinstance(body, dict) or "error" in body:
            raise answer_error(what, status, body)
        return body

    async def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """``once``, retried on rate limits, 5xx and time-outs with a doubling pause."""
        return await with_retries(lambda: self.once(method, path, **kwargs), classify, self.policy,
                                  what=f"WhatsApp: {method} {path}")

    def message_body(self, to: str, message: dict[str, Any]) -> dict[str, Any]:
        return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, **message}

    async def send(self, to: str, message: dict[str, Any], *, retry: bool = True) -> str:
        """Send one message; the wamid WhatsApp gave it (its statuses refer to it)."""
        path = f"{self.settings.phone_number_id}/messages"
        send = self.call if retry else self.once
        answer = await send("POST", path, json=self.message_body(to, message))
        messages = answer.get("messages") or [{}]
        return str(messages[0].get("id", ""))

    async def upload(self, data: bytes, mime_type: str, filename: str) -> str:
        form = aiohttp.FormData()
        form.add_field("messaging_product", "whatsapp")
        form.add_field("type", mime_type)
        form.add_field("file", data, filename=filename, content_type=mime_type)
        answer = await self.call("POST", f"{self.settings.phone_number_id}/media", data=form)
        return str(answer["id"])

    async def download(self, media_id: str, limit: int) -> bytes:
        """The media's URL from ``GET /<media id>``, then the bytes, with the same bearer token."""
        info = await self.call("GET", media_id)
        url, size = info.get("url"), info.get("file_size") or 0
        if not isinstance(url, str) or not url:
            raise DeliveryError(f"media {media_id}: the Graph API gave no url", permanent=True)
        if isinstance(size, int) and size > limit:
            raise DeliveryError(f"media {media_id} is {size} bytes, over {limit}", permanent=True)

        async def once() -> bytes:
            async with self.session.get(url) as response:
                if response.status >= 500:
                    raise GraphError(f"media {media_id}: HTTP {response.status}", retryable=True)
                if response.status != 200:
                    raise DeliveryError(f"media {media_id}: HTTP {response.status}", permanent=response.status == 404)
                data = await read_whole(response.content, limit)
            if data is None:
                raise DeliveryError(f"media {media_id} is over {limit} bytes", permanent=True)
            return data

        return await with_retries(once, classify, self.policy, what=f"WhatsApp: media {media_id}")
