"""The VK API transport: paced requests for the whole community token, kept off the event loop.

Requests block (``requests``), so each runs in this channel's own thread pool: a slow VK call
waits there without holding the event loop or the shared default executor that other channels
(and aiohttp's DNS look-ups) use. The long poll gets a daemon thread of its own
(``in_daemon_thread``) so that a poll waiting 25 s never delays a send or the shutdown.

**One pace for the token.** VK counts a community token's requests a second, whoever makes them,
so every API request of the channel — replies, button answers, name look-ups, the long poll's
``groups.*`` calls and broadcast sends — takes a slot of one pacer (``bot.pacing.Pacer``:
at most ⌊``broadcasts.pace_fraction`` × ``vk.requests_per_second``⌋ requests in any sliding
second, evenly spaced). A slot is taken only once a worker thread is free for it, so a request
starts when its slot says: one queued behind a busy thread would start late and could bunch
with later ones. Error 6 or 9 holds every request for ``vk.rate_limit_pause_seconds``.

**Calls go out together.** ``call`` hands a method call to the ``ExecuteBatcher``
(``channels.vk.execute``), which sends whatever calls are waiting as one ``execute`` request; a
call is retried on rate limits, VK's internal errors, 5xx and time-outs under the shared retry
policy (``bot.core.retrying``). ``classify`` maps VK's failures to the shared terms: 6/9 (and 944, an
intent's quota) rate limited — VK names no wait, the pacer holds the token for
``vk.rate_limit_pause_seconds`` —, 1/10 and failed requests transient (a time-out after the
request left unknown: ``random_id`` makes a repeat harmless), 900–902 gone, anything else
rejected (the operator's problem, never the resident's).

vk_api's ``VkApi.method`` is not used: it holds one lock across the whole HTTP request and sleeps
``RPS_DELAY`` in the thread, so requests could neither overlap nor share a pace with the
broadcast sends, and its error-6 handler sleeps and retries forever.
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

import requests

from bot.core.channel import DeliveryError
from bot.core.delivery_errors import Failure, Kind
from bot.core.retrying import RetryPolicy, with_retries
from bot.pacing import Pacer
from channels.vk.execute import CallRefused, ExecuteBatcher
from channels.vk.settings import VkSettings

log = logging.getLogger(__name__)

T = TypeVar("T")

RATE_LIMITED = {6, 9}                        # too many requests per second; flood control
TRANSIENT = {1, 10}                          # unknown error; internal server error
UNREACHABLE = {900, 901, 902}                # blacklisted; no permission; privacy settings
INTENT_LIMIT = 944                           # a broadcast intent's quota is spent for now


class VkClient:
    def __init__(self, settings: VkSettings, pace_fraction: float = 1.0) -> None:
        if settings.token is None:
            raise ValueError("vk.token is not set (SOUCHASTIE_VK_TOKEN)")
        self.settings = settings
        self.api_url = settings.api_url.rstrip("/") + "/"
        self.http = requests.Session()
        self.executor = ThreadPoolExecutor(max_workers=settings.api_threads, thread_name_prefix="vk-api")
        self.threads = asyncio.Semaphore(settings.api_threads)  # free workers of ``executor``
        self.pacer = Pacer(settings.requests_per_second, pace_fraction)
        self.batcher = ExecuteBatcher(self, settings.execute_calls)

    # -- calls (batched) ----------------------------------------------------------------------

    async def call(self, method: str, **values: Any) -> Any:
        """One API call, retried on rate limits, VK's internal errors, 5xx and time-outs;
        ``DeliveryError`` when it cannot be made (``permanent`` when the resident is unreachable)."""
        policy = RetryPolicy(attempts=self.settings.send_attempts,
                             backoff_seconds=self.settings.retry_backoff_seconds)
        return await with_retries(lambda: self.batcher.call(method, values), self._classify, policy,
                                  what=f"ВК: {method}")

    def _classify(self, error: BaseException) -> Failure:
        if self.batcher.closed and not isinstance(error, CallRefused):
            return Failure(Kind.REJECTED, f"{error} (the channel is stopping)")
        return classify(error)

    async def call_once(self, method: str, **values: Any) -> Any:
        """One attempt, for calls whose failure costs nothing but the answer (a name look-up)."""
        try:
            return await self.batcher.call(method, values)
        except CallRefused as refused:
            raise classify(refused).as_error() from refused

    # -- requests (paced) ---------------------------------------------------------------------

    async def request(self, method: str, values: dict[str, Any]) -> dict[str, Any]:
        """One paced request: VK's JSON answer (its error answers too), or ``DeliveryError``
        when none came (see ``post``)."""
        async with self.threads:
            await self.wait_for_slot()
            self.pacer.started(asyncio.get_running_loop().time())
            return await self.post_now(method, values)

    async def wait_for_slot(self) -> None:
        """Until the pacer allows a request. The caller marks it ``pacer.started`` before its next
        ``await``, so two callers woken together cannot both take the slot."""
        loop = asyncio.get_running_loop()
        while (wait := self.pacer.next_start() - loop.time()) > 0:
            await asyncio.sleep(wait)

    async def post_now(self, method: str, values: dict[str, Any]) -> dict[str, Any]:
        """The request, in a worker thread reserved by the caller (``threads``), its slot taken."""
        try:
            answer = await self.run(self.post, method, values)
        except DeliveryError as error:
            if error.retry_after:
                self.hold(error.retry_after)
            raise
        refused = answer.get("error")
        if isinstance(refused, dict) and refused.get("error_code") in RATE_LIMITED:
            self.hold(self.settings.rate_limit_pause_seconds)
        return answer

    def hold(self, seconds: float) -> None:
        """No request for ``seconds``: VK said the token sends too much."""
        self.pacer.hold(asyncio.get_running_loop().time() + seconds)

    def post(self, method: str, values: dict[str, Any]) -> dict[str, Any]:
        """The HTTP request, in a worker thread; the JSON answer, or ``DeliveryError``."""
        settings = self.settings
        data = {**values, "v": settings.api_version, "access_token": settings.token.get_secret_value()}
        try:
            response = self.http.post(self.api_url + method, data=data, timeout=settings.request_timeout_seconds)
        except requests.ConnectTimeout as error:  # nothing was sent
            raise DeliveryError(f"VK {method}: connecting timed out: {error}") from error
        except requests.Timeout as error:  # the request left; VK may have acted on it
            raise DeliveryError(f"VK {method}: no answer in time: {error}", unknown=True) from error
        except requests.ConnectionError as error:
            # Refused before sending is the common case; a connection dropped after the request left
            # is indistinguishable here, and VK's random_id makes the repeat harmless either way.
            raise DeliveryError(f"VK {method}: {type(error).__name__}: {error}") from error
        if response.status_code == 429 or response.status_code >= 500:
            raise DeliveryError(f"VK {method}: HTTP {response.status_code}",
                                retry_after=settings.rate_limit_pause_seconds if response.status_code == 429 else None)
        if response.status_code != 200:
            raise DeliveryError(f"VK {method}: HTTP {response.status_code}")
        try:
            answer = response.json()
        except (ValueError, json.JSONDecodeError) as error:
            raise DeliveryError(f"VK {method}: the answer is not JSON ({error})", unknown=True) from error
        if not isinstance(answer, dict):
            raise DeliveryError(f"VK {method}: an unexpected answer {str(answer)[:200]}", unknown=True)
        return answer

    # -- threads ------------------------------------------------------------------------------

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        try:
            future = asyncio.get_running_loop().run_in_executor(self.executor, function, *args)
        except RuntimeError as error:  # after stop(): the reply stays pending for the next start
            raise DeliveryError("the VK channel is stopping") from error
        return await future

    async def upload_photo(self, peer_id: int, data: bytes, name: str) -> str:
        """A picture as a VK photo for messages (VK's three steps: the upload address, the file,
        ``photos.saveMessagesPhoto``); its attachment name, ``photo<owner>_<id>[_<access key>]``."""
        server = await self.call("photos.getMessagesUploadServer", peer_id=peer_id)
        async with self.threads:
            uploaded = await self.run(self._upload, str(server["upload_url"]), data, name)
        saved = await self.call("photos.saveMessagesPhoto", server=uploaded["server"], photo=uploaded["photo"],
                                hash=uploaded["hash"])
        photo = saved[0]
        access = f"_{photo['access_key']}" if photo.get("access_key") else ""
        return f"photo{photo['owner_id']}_{photo['id']}{access}"

    def _upload(self, url: str, data: bytes, name: str) -> dict[str, Any]:
        try:
            response = self.http.post(url, files={"photo": (name, data, "image/png")},
                                      timeout=self.settings.request_timeout_seconds)
            answer = response.json() if response.status_code == 200 else None
        except (requests.RequestException, ValueError) as error:
            raise DeliveryError(f"VK photo upload: {error}") from error
        if not isinstance(answer, dict) or not answer.get("photo") or answer.get("photo") == "[]":
            raise DeliveryError(f"VK photo upload: HTTP {response.status_code}, {str(answer)[:200]}")
        return answer

    async def download(self, url: str, limit: int) -> bytes:
        async with self.threads:
            return await self.run(self._download, url, limit)

    def _download(self, url: str, limit: int) -> bytes:
        try:
            with self.http.get(url, stream=True, timeout=self.settings.request_timeout_seconds) as response:
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
        self.batcher.close()
        self.executor.shutdown(wait=False)


def classify(error: BaseException) -> Failure:
    """A VK call's failure in the shared terms: a call VK refused by its code, a request that
    failed (``post``'s ``DeliveryError``) by what it says."""
    match error:
        case CallRefused(code=code) if code in UNREACHABLE:  # blacklisted, not allowed, privacy
            return Failure(Kind.GONE, str(error))
        case CallRefused(code=code) if code in RATE_LIMITED or code == INTENT_LIMIT:
            return Failure(Kind.RATE_LIMITED, str(error))
        case CallRefused(code=code) if code in TRANSIENT:
            return Failure(Kind.TRANSIENT, str(error))
        case CallRefused():  # 943 intent not allowed, 914 too long, 5 token: the operator's problem
            return Failure(Kind.REJECTED, str(error))
        case DeliveryError(permanent=True):
            return Failure(Kind.GONE, str(error))
        case DeliveryError(unknown=True):
            return Failure(Kind.UNKNOWN, str(error))
        case DeliveryError():  # 429 (the pacer already holds), 5xx, no connection, another status
            return Failure(Kind.TRANSIENT, str(error))
    return Failure(Kind.UNKNOWN, f"{type(error).__name__}: {error}")


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
