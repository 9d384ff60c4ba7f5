"""The VK API through vk_api, the maintained Python client, kept off the event loop.

vk_api is blocking (``requests``), so every call runs in this channel's own thread pool: a
slow VK call waits there without holding the event loop or the shared default executor that
other channels (and aiohttp's DNS look-ups) use. The long poll gets a daemon thread of its
own (``in_daemon_thread``) so that a poll waiting 25 s never delays a send or the shutdown.

Two things in vk_api are adjusted, each through a public seam:

- the API base URL is fixed in ``VkApi.method`` (``https://api.vk.ru/method/{method}``); the
  ``session`` that ``VkApi`` accepts is a ``requests.Session`` whose ``request`` replaces that
  prefix with ``settings.api_url`` (and adds the time-out vk_api never passes);
- vk_api answers error 6 by sleeping and retrying forever; its handler is removed from the
  instance's ``error_handlers`` so the error reaches us and is retried a bounded number of
  times, with the pause awaited on the loop rather than slept in a thread.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

import requests
from jconfig import MemoryConfig
from vk_api import VkApiGroup
from vk_api.exceptions import TOO_MANY_RPS_CODE, ApiError, ApiHttpError, VkApiError

from bot.channel import DeliveryError
from bot.config import VkSettings

log = logging.getLogger(__name__)

T = TypeVar("T")

LIBRARY_BASE = "https://api.vk.ru/method/"   # what vk_api 11 builds every method URL from
RATE_LIMITED = {6, 9}                        # too many requests per second; flood control
TRANSIENT = {1, 10}                          # unknown error; internal server error
UNREACHABLE = {900, 901, 902}                # blacklisted; no permission; privacy settings


class RoutedSession(requests.Session):
    """A session that sends vk_api's method calls to ``api_url`` and never waits forever."""

    def __init__(self, api_url: str, timeout: float) -> None:
        super().__init__()
        self.api_url = api_url.rstrip("/") + "/"
        self.timeout = timeout

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        if isinstance(url, str) and url.startswith(LIBRARY_BASE):
            url = self.api_url + url[len(LIBRARY_BASE):]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


class VkClient:
    def __init__(self, settings: VkSettings) -> None:
        if settings.token is None:
            raise ValueError("vk.token is not set (SOUCHASTIE_VK_TOKEN)")
        self.settings = settings
        self.http = RoutedSession(settings.api_url, settings.request_timeout_seconds)
        # MemoryConfig: a token needs no login state, so vk_api writes no vk_config.v2.json.
        self.vk = VkApiGroup(token=settings.token.get_secret_value(), api_version=settings.api_version,
                             session=self.http, config=MemoryConfig)
        self.vk.RPS_DELAY = 1.0 / settings.requests_per_second
        self.vk.error_handlers.pop(TOO_MANY_RPS_CODE, None)
        self.executor = ThreadPoolExecutor(max_workers=settings.api_threads, thread_name_prefix="vk-api")

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        try:
            future = asyncio.get_running_loop().run_in_executor(self.executor, function, *args)
        except RuntimeError as error:  # after stop(): the reply stays pending for the next start
            raise DeliveryError("the VK channel is stopping") from error
        return await future

    async def call(self, method: str, **values: Any) -> Any:
        """One API call, retried on rate limits, 5xx and time-outs; ``DeliveryError`` when not."""
        attempts = self.settings.send_attempts
        for attempt in range(1, attempts + 1):
            try:
                return await self.run(self.vk.method, method, values)
            except ApiError as error:
                if error.code in UNREACHABLE:
                    raise DeliveryError(f"VK {method}: {error}", permanent=True) from error
                if error.code not in RATE_LIMITED | TRANSIENT:
                    raise DeliveryError(f"VK {method}: {error}") from error
                problem = str(error)
            except ApiHttpError as error:
                if error.response.status_code < 500 and error.response.status_code != 429:
                    raise DeliveryError(f"VK {method}: {error}") from error
                problem = str(error)
            except VkApiError as error:  # a captcha or another answer a bot cannot act on
                raise DeliveryError(f"VK {method}: {type(error).__name__}: {error}") from error
            except requests.RequestException as error:  # time-outs, refused or broken connections
                problem = f"{type(error).__name__}: {error}"
            except (ValueError, KeyError) as error:  # a body that is not VK's JSON
                problem = f"unreadable answer: {error}"
            if attempt < attempts:
                pause = self.settings.retry_backoff_seconds * 2 ** (attempt - 1)
                log.warning("VK %s failed (%s); try %d of %d in %.1f s", method, problem, attempt + 1,
                            attempts, pause)
                await asyncio.sleep(pause)
        raise DeliveryError(f"VK {method} failed {attempts} times, last: {problem}")

    async def download(self, url: str, limit: int) -> bytes:
        return await self.run(self._download, url, limit)

    def _download(self, url: str, limit: int) -> bytes:
        try:
            with self.http.get(url, stream=True) as response:
                if response.status_code != 200:
                    raise DeliveryError(f"VK photo {url}: HTTP {response.status_code}",
                                        permanent=response.status_code < 500)
                data = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    data += chunk
                    if len(data) > limit:
                        raise DeliveryError(f"VK photo {url} is over {limit} bytes", permanent=True)
                return bytes(data)
        except requests.RequestException as error:
            raise DeliveryError(f"VK photo {url}: {error}") from error

    def close(self) -> None:
        """Take no new calls; those under way finish (each within its time-out), so that replies
        of events still being processed when the bot stops are not cut off mid-send."""
        self.executor.shutdown(wait=False)


async def in_daemon_thread(function: Callable[..., T], *args: Any) -> T:
    """Run a blocking call in a thread the interpreter does not wait for at exit.

    Used for the long poll, which may sit in a socket read for ``wait`` seconds: cancelling
    the awaiting task returns at once, and the abandoned poll's answer is dropped unread (its
    updates come again, because their ``ts`` was not requested yet).
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def work() -> None:
        try:
            result = function(*args)
        except BaseException as error:  # handed to the awaiting task, not lost in the thread
            _call_soon(loop, settle, None, error)
        else:
            _call_soon(loop, settle, result, None)

    threading.Thread(target=work, name="vk-longpoll", daemon=True).start()
    return await future


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[..., None], *args: Any) -> None:
    try:
        loop.call_soon_threadsafe(callback, *args)
    except RuntimeError:
        pass  # the loop has closed: nobody waits for this answer any more
