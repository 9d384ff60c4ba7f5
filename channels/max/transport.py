"""The MAX bot API as this channel uses it: maxapi for the calls, our policy for failures.

Why maxapi (love-apples/maxapi 1.2.3), and where it is not used. Read from its source:

- It sends the token the way platform-api.max.ru takes it now, as the ``Authorization``
  header (the OpenAPI schema 0.0.30 still shows an ``access_token`` query parameter), builds
  the URLs and bodies, turns ``{code, message}`` error bodies into ``MaxApiError``, and its
  ``send_message`` waits out ``attachment.not.ready`` (``after_upload_attempts`` times,
  ``after_upload_retry_delay`` apart). Its typed button models build our keyboards.
- Its base URL is settable (``Bot.set_api_url``), and its TLS too: the session is built from
  ``DefaultConnectionProperties`` kwargs, so we pass our own connector with our SSL context
  (``settings.ca_bundle``, or maxapi's own: the system store plus the Russian Trusted Root CA
  that MAX's certificate chains to). Each ``Bot`` keeps one session and reuses it.
- A ``Bot`` has one time-out for its whole session, and a long poll must outlast what a send
  may take, so there are two: one polls, one sends; they share the connector (one pool).
- Not its retries: it retries 502/503/504 and dropped connections only, not 429 or time-outs.
  ``max_retries=0`` turns them off, and ``_call`` puts replies under the shared retry policy
  (``bot.core.retrying``): 429, 5xx, time-outs and connection errors tried ``send_attempts`` times
  with doubling pauses (MAX documents no ``Retry-After``), then ``DeliveryError(permanent=False)``.
  ``classify`` maps MAX's failures to the shared terms, for replies and broadcasts alike:

  - 429 → rate limited (MAX names no wait: a broadcast is told ``max.rate_limit_pause_seconds``);
  - 5xx, a connection refused before the request left, an attachment never ready → transient;
  - a time-out, or a connection lost after the request was written → unknown: MAX has no
    idempotency key, so the broadcast sender does not repeat it (a reply is tried again);
  - 403 ``chat.denied`` (the resident stopped the bot) and 404 (chat or user gone) → gone;
  - 401 / ``verify.token`` and other 4xx → rejected: our token or request is wrong, the
    resident is not, and must not be marked unreachable for it.
- Not its polling (``Dispatcher.start_polling``): it turns updates into its own models and
  drops those it cannot parse (ours would be lost, not stored), and with ``use_create_task`` it
  moves the marker while handlers still run. We call ``get_updates`` (raw JSON) and move the
  marker ourselves, after the batch is stored (``channels.max.inbound``).
- Not its ``download_bytes``: it would send the bot token to whatever host a photo URL names
  and reads without a size limit. Photos come through a third session, without the token.
"""
from __future__ import annotations

import asyncio
import logging
import ssl
from typing import Any, Awaitable, Callable, TypeVar

import aiohttp
from maxapi import Bot
from maxapi.client.default import DefaultConnectionProperties
from maxapi.client.ssl import create_default_ssl_context
from maxapi.enums.upload_type import UploadType
from maxapi.exceptions.max import InvalidToken, MaxApiError, MaxConnection
from maxapi.types.input_media import InputMediaBuffer

from bot.core.channel import DeliveryError
from bot.core.delivery_errors import Failure, Kind
from bot.core.retrying import RetryPolicy, with_retries
from channels.body import read_whole
from channels.max.parse import UPDATE_TYPES
from channels.max.render import Message
from channels.max.settings import MaxSettings

log = logging.getLogger(__name__)
T = TypeVar("T")

# Error codes that mean our token is wrong, not that the resident is gone.
TOKEN_CODES = {"verify.token"}

# Failures before the request was written (aiohttp ≥ 3.10 has ConnectionTimeoutError).
NOT_SENT: tuple[type[BaseException], ...] = tuple(
    kind for kind in (aiohttp.ClientConnectorError, getattr(aiohttp, "ConnectionTimeoutError", None)) if kind)


def ssl_context(ca_bundle: str) -> ssl.SSLContext:
    if not ca_bundle:
        return create_default_ssl_context()
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=ca_bundle)
    return context


class RateLimiter:
    """At most ``per_second`` requests start each second, evenly spaced, for the whole bot."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = asyncio.get_running_loop().time()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            await asyncio.sleep(delay)


class MaxApi:
    def __init__(self, settings: MaxSettings) -> None:
        self.settings = settings
        self.limiter = RateLimiter(settings.requests_per_second)
        self._connector: aiohttp.TCPConnector | None = None
        self._poller: Bot | None = None
        self._sender: Bot | None = None
        self._files: aiohttp.ClientSession | None = None
        self._closed = False

    async def open(self) -> None:
        """Open the sessions; the first call does it (the core may send before the channel starts,
        when it re-sends what a crash left pending)."""
        if self._closed:
            raise DeliveryError("the MAX channel has stopped; the reply stays pending")
        if self._connector is not None:
            return
        s = self.settings
        self._connector = aiohttp.TCPConnector(ssl=ssl_context(s.ca_bundle), limit=s.max_connections)
        self._poller = self._bot(s.poll_timeout_seconds + s.request_timeout_seconds)
        self._sender = self._bot(s.request_timeout_seconds)
        self._files = aiohttp.ClientSession(connector=self._connector, connector_owner=False,
                                            timeout=aiohttp.ClientTimeout(total=s.request_timeout_seconds))

    def _bot(self, timeout: float) -> Bot:
        s = self.settings
        connection = DefaultConnectionProperties(timeout=timeout, sock_connect=min(timeout, 30),
                                                 max_retries=0, connector=self._connector)
        bot = Bot(s.token.get_secret_value(), default_connection=connection, auto_requests=False,
                  auto_check_subscriptions=False, after_upload_attempts=s.attachment_attempts,
                  after_upload_retry_delay=s.attachment_retry_seconds)
        bot.set_api_url(s.api_url)
        return bot

    async def close(self) -> None:
        self._closed = True
        for bot in (self._poller, self._sender):
            if bot is not None:
                await bot.close_session()
        if self._files is not None:
            await self._files.close()
        if self._connector is not None:
            await self._connector.close()

    # -- receiving ---------------------------------------------------------------------------

    async def get_updates(self, marker: int | None) -> dict[str, Any]:
        """One long poll; failures are raised as they are, the poller decides what to do."""
        await self.open()
        await self.limiter.wait()
        return await self._poller.get_updates(limit=self.settings.poll_limit, marker=marker,
                                              timeout=self.settings.poll_timeout_seconds,
                                              types=list(UPDATE_TYPES))

    async def subscribe(self, url: str, secret: str) -> None:
        await self._call(f"subscribe {url}", lambda: self._sender.subscribe_webhook(
            url=url, update_types=list(UPDATE_TYPES), secret=secret))

    async def subscription_urls(self) -> list[str]:
        found = await self._call("list subscriptions", lambda: self._sender.get_subscriptions())
        return [s.url for s in found.subscriptions]

    async def download(self, url: str, limit: int) -> bytes:
        async def fetch() -> bytes:
            async with self._files.get(url) as response:
                if response.status >= 400:
                    raise MaxApiError(code=response.status, raw=await response.text())
                data = await read_whole(response.content, limit)
            if data is None:
                raise DeliveryError(f"the photo is over {limit} bytes", permanent=True)
            return data
        return await self._call("download a photo", fetch)

    # -- sending -----------------------------------------------------------------------------

    async def send(self, user_id: int, message: Message) -> None:
        await self._call(f"send to {user_id}", lambda: self._sender.send_message(
            user_id=user_id, text=message.text or None, attachments=list(message.attachments) or None))

    async def send_once(self, user_id: int, message: Message) -> None:
        """One ``POST /messages`` for a broadcast: no retry here (the broadcast sender decides),
        but within the bot's request limiter, which replies share. maxapi's own exceptions are
        raised as they are, for ``classify``."""
        await self.open()
        await self.limiter.wait()
        await self._sender.send_message(user_id=user_id, text=message.text or None,
                                        attachments=list(message.attachments) or None)

    async def upload_image(self, data: bytes, name: str) -> Any:
        """A picture uploaded to MAX (``POST /uploads?type=image``, then the file): the attachment
        that shows it in a message, reusable for every message that shows it."""
        return await self._call(f"upload {name}", lambda: self._sender.upload_media(
            InputMediaBuffer(data, filename=name, type=UploadType.IMAGE)))

    async def answer(self, callback_id: str) -> None:
        """Tell MAX the press arrived, so the client stops showing it as pending: an empty answer,
        the one maxapi's ``MessageCallback.ack()`` sends (no notification, message unchanged)."""
        await self._call("answer a callback", lambda: self._sender.send_callback(callback_id=callback_id))

    # -- the failure policy ------------------------------------------------------------------

    async def _call(self, what: str, request: Callable[[], Awaitable[T]]) -> T:
        await self.open()
        s = self.settings
        policy = RetryPolicy(attempts=s.send_attempts, backoff_seconds=s.retry_base_seconds,
                             max_backoff_seconds=s.retry_max_seconds)

        async def once() -> T:
            await self.limiter.wait()
            return await request()

        return await with_retries(once, lambda error: _noted(classify(error).named(what), error), policy,
                                  what=f"MAX: {what}")


def classify(error: BaseException) -> Failure:
    """A failed MAX call in the shared terms."""
    match error:
        case MaxApiError():
            status = error.code
            code = error.raw.get("code", "") if isinstance(error.raw, dict) else ""
            message = error.raw.get("message", "") if isinstance(error.raw, dict) else str(error.raw)[:200]
            text = f"{status} {code} {message}".strip()
            if status == 429:
                return Failure(Kind.RATE_LIMITED, text)
            if status >= 500:
                return Failure(Kind.TRANSIENT, text)
            if code in TOKEN_CODES or status == 401:
                return Failure(Kind.REJECTED, f"token refused ({status} {code})")
            if status in (403, 404):
                return Failure(Kind.GONE, text)
            return Failure(Kind.REJECTED, text)
        case InvalidToken():
            return Failure(Kind.REJECTED, f"MAX refused the token: {error}")
        case MaxConnection():
            cause = error.__cause__
            if isinstance(cause, NOT_SENT):  # never connected: nothing was sent
                return Failure(Kind.TRANSIENT, str(cause))
            return Failure(Kind.UNKNOWN, f"connection lost ({cause or error}); MAX may have delivered it")
        case asyncio.TimeoutError():
            return Failure(Kind.UNKNOWN, "no answer in time; MAX may have delivered it")
        case _ if isinstance(error, NOT_SENT):
            return Failure(Kind.TRANSIENT, str(error))
        case aiohttp.ClientError():
            return Failure(Kind.UNKNOWN, f"{type(error).__name__}: {error}")
        case DeliveryError():  # our own refusal (the channel has stopped)
            return Failure(Kind.REJECTED, str(error))
        case RuntimeError():  # maxapi: an attachment never became ready
            return Failure(Kind.TRANSIENT, str(error))
    return Failure(Kind.UNKNOWN, f"{type(error).__name__}: {error}")


def _noted(failure: Failure, error: BaseException) -> Failure:
    """Tell the operator when MAX refuses us for our own fault (a token, a request it rejects)."""
    if failure.kind is Kind.REJECTED and not isinstance(error, DeliveryError):
        if isinstance(error, InvalidToken) or "token refused" in failure.detail:
            log.error("MAX не принял токен бота (%s); проверьте SOUCHASTIE_MAX_TOKEN", failure.detail)
        else:
            log.error("MAX ответил ошибкой: %s", failure.detail)
    return failure
