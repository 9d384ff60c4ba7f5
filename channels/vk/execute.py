"""Many API calls in one request: VK's ``execute`` runs up to 25 calls written in VKScript.

A call (``ExecuteBatcher.call``) waits in a queue. Whenever the token's pace allows a request and
a worker thread is free (``VkClient.wait_for_slot``, ``VkClient.threads``), every call waiting
then, up to ``vk.execute_calls``, leaves together as::

    return [API.messages.send({"peer_id":1,"message":"…","random_id":7}),API.users.get({…})];

So a bot with nothing to do sends a call at once, alone; under load calls pile up while the pace
makes them wait, and each request carries more of them — twenty-five residents' replies for the
price of one request. Several requests may be under way at once (up to ``vk.api_threads``). Calls
of one resident stay in order because the channel sends a resident's next message only once the
previous one is answered.

The answer is ``{"response": [r1, r2, …], "execute_errors": [{method, error_code, error_msg}, …]}``:
a call VK refused is ``false`` in ``response`` and has its error, in order, in ``execute_errors``
(the mapping vk_api's ``VkRequestsPool`` and vk-io use; VK may add an entry for ``execute``
itself, which is skipped). Each refused call raises ``CallRefused`` with its own code in its own
caller, so one blocked resident (901) fails alone. An answer ``{"error": …}`` refuses the whole
request (6: too many requests; 12, 13: the code); a time-out, a 5xx or a lost connection fail
every call in it with the same ``DeliveryError``; callers decide about retries.

Why not vk_api's ``VkRequestsPool``: it gathers the calls one thread makes inside a ``with``
block and sends them through ``VkApi.method`` (one lock over each request, sleeps in the thread);
it cannot gather calls that many coroutines make over time. The code built here is the form
its ``vk_many_methods`` builds, with vk_api's own argument encoding (``sjson_dumps``).
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

from vk_api.utils import sjson_dumps

from bot.core.channel import DeliveryError
from bot.pacing import Pacer

log = logging.getLogger(__name__)

MAX_CALLS = 25  # VK runs at most 25 API calls in one execute


class CallRefused(Exception):
    """VK refused one call (inside an execute, or the execute itself): its code and message."""

    def __init__(self, method: str, code: Any, message: str) -> None:
        super().__init__(f"VK {method}: error {code} {message}".strip())
        self.method = method
        self.code = code


@dataclass
class Waiting:
    method: str
    values: dict[str, Any]
    future: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


def script(calls: list[Waiting]) -> str:
    """The VKScript that makes ``calls`` in order and returns their answers as one list."""
    return "return [" + ",".join(f"API.{c.method}({sjson_dumps(c.values)})" for c in calls) + "];"


def outcomes(calls: list[Waiting], answer: dict[str, Any]) -> list[Any | BaseException]:
    """Each call's answer, or the exception its caller gets."""
    if "error" in answer:
        error = answer["error"] if isinstance(answer["error"], dict) else {}
        return [CallRefused("execute", error.get("error_code"), str(error.get("error_msg", ""))) for _ in calls]
    results = answer.get("response")
    if not isinstance(results, list) or len(results) != len(calls):
        problem = f"VK execute: {len(calls)} calls, an answer that does not match: {str(answer)[:200]}"
        return [DeliveryError(problem, unknown=True) for _ in calls]
    errors = [e for e in answer.get("execute_errors") or [] if isinstance(e, dict) and e.get("method") != "execute"]
    found: list[Any | BaseException] = []
    for call, result in zip(calls, results):
        if result is not False:
            found.append(result)
            continue
        error = _next_error(errors, call.method)
        if error is None:  # refused, but VK did not say why: it may or may not have acted
            found.append(DeliveryError(f"VK {call.method}: refused inside execute, no reason given", unknown=True))
        else:
            found.append(CallRefused(call.method, error.get("error_code"), str(error.get("error_msg", ""))))
    return found


def _next_error(errors: list[dict[str, Any]], method: str) -> dict[str, Any] | None:
    """Take the first error left that belongs to ``method`` (errors come in the calls' order)."""
    for index, error in enumerate(errors):
        if error.get("method") in (method, None):
            return errors.pop(index)
    return None


class Requests(Protocol):
    """What the batcher uses of the VK client (``channels.vk.transport.VkClient``, which owns the
    batcher): its worker threads, its pacer, and one request sent at once."""

    threads: asyncio.Semaphore
    pacer: Pacer

    async def wait_for_slot(self) -> None: ...

    async def post_now(self, method: str, values: dict[str, Any]) -> dict[str, Any]: ...


class ExecuteBatcher:
    def __init__(self, client: Requests, max_calls: int = MAX_CALLS) -> None:
        self.client = client
        self.max_calls = max(1, min(max_calls, MAX_CALLS))
        self.closed = False
        self._waiting: deque[Waiting] = deque()
        self._wakeup: asyncio.Event | None = None
        self._runner: asyncio.Task | None = None
        self._sending: set[asyncio.Task] = set()
        self.requests = 0  # execute requests sent (for the benchmark and tests)

    async def call(self, method: str, values: dict[str, Any]) -> Any:
        """The call's answer; ``CallRefused`` or ``DeliveryError`` when it has none."""
        if self.closed:
            raise DeliveryError("the VK channel is stopping")
        waiting = Waiting(method, values)
        self._waiting.append(waiting)
        self._start()
        return await waiting.future

    def close(self) -> None:
        """Calls still waiting fail (their replies stay pending); requests under way finish."""
        self.closed = True
        if self._runner is not None:
            self._runner.cancel()
        while self._waiting:
            _settle(self._waiting.popleft().future, DeliveryError("the VK channel is stopping"))

    # -- the runner ---------------------------------------------------------------------------

    def _start(self) -> None:
        if self._runner is None or self._runner.done():
            self._wakeup = asyncio.Event()
            self._runner = asyncio.get_running_loop().create_task(self._run(), name="vk-execute")
        self._wakeup.set()

    async def _run(self) -> None:
        client, loop = self.client, asyncio.get_running_loop()
        while True:
            if not self._pending():
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            await client.threads.acquire()
            try:
                await client.wait_for_slot()
            except BaseException:
                client.threads.release()
                raise
            batch = self._take()
            if not batch:  # their callers gave up meanwhile
                client.threads.release()
                continue
            client.pacer.started(loop.time())  # no await since the slot was granted
            task = loop.create_task(self._send(batch))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    def _pending(self) -> bool:
        while self._waiting and self._waiting[0].future.done():
            self._waiting.popleft()  # cancelled by its caller
        return bool(self._waiting)

    def _take(self) -> list[Waiting]:
        batch: list[Waiting] = []
        while self._waiting and len(batch) < self.max_calls:
            waiting = self._waiting.popleft()
            if not waiting.future.done():
                batch.append(waiting)
        return batch

    async def _send(self, batch: list[Waiting]) -> None:
        """One execute with ``batch`` (a thread is reserved for it and its slot taken)."""
        self.requests += 1
        try:
            answer = await self.client.post_now("execute", {"code": script(batch)})
        except DeliveryError as error:
            for waiting in batch:
                _settle(waiting.future, _copy(error))
            return
        except BaseException as error:  # a bug: each caller learns it rather than waiting forever
            for waiting in batch:
                _settle(waiting.future, DeliveryError(f"VK execute: {type(error).__name__}: {error}"))
            if not isinstance(error, Exception):
                raise
            log.exception("ВК execute: неожиданный сбой")
            return
        finally:
            self.client.threads.release()
        for waiting, outcome in zip(batch, outcomes(batch, answer)):
            _settle(waiting.future, outcome)


def _settle(future: asyncio.Future, outcome: Any) -> None:
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def _copy(error: DeliveryError) -> DeliveryError:
    """One exception object per caller: an exception raised in several tasks would share (and
    grow) one traceback."""
    return DeliveryError(str(error), permanent=error.permanent, retry_after=error.retry_after,
                         unknown=error.unknown)
