"""A fake OK API on loopback, for the bot's OK channel to talk to, and OK's webhook sender.

It speaks the wire format of ``tests/fixtures/ok`` (see its README for where each shape comes
from): ``POST /graph/me/subscribe`` and ``POST /graph/me/messages/<chat_id>`` with the token in
``access_token``, errors as ``{"error_code", "error_msg"}`` with an ``invocation-error`` header,
photos served at ``/i/<n>``. It records every call and can be told to fail: the flood limit
(error 8), 5xx, an answer slower than the client waits, and a resident who does not accept the
group's messages (error 10). ``ceiling`` enforces a calls-a-second limit the same way (error 8).

As OK, it posts webhooks to the subscribed URL from 127.0.0.1 (``source`` another loopback
address plays a stranger) and records each answer's status.
"""
from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import aiohttp
from aiohttp import web

from tests.fakes import in_pieces
from tests.fakes.ceiling import SlidingWindows

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ok"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class Call:
    path: str
    body: Any
    status: int = 200


@dataclass
class FakeOk:
    token: str = "tkn1fake-OK-group-token:CQABPOJKAKEKEKEKE"
    slow_seconds: float = 3.0
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    blocked: set[str] = field(default_factory=set)
    subscriptions: list[str] = field(default_factory=list)
    webhook_answers: list[int] = field(default_factory=list)
    on_answer: Callable[[int], None] | None = None
    ceiling: float | None = None
    rate_limited: int = 0
    accepted_at: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.faults: list[tuple[str, int]] = []
        self.images: dict[str, bytes] = {}
        self._mids = itertools.count(1)
        self._windows = SlidingWindows()
        self._runner: web.AppRunner | None = None
        self._http: dict[str, aiohttp.ClientSession] = {}
        self.url = ""

    async def start(self) -> "FakeOk":
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_post("/graph/me/subscribe", self._subscribe)
        app.router.add_post("/graph/me/messages/{chat_id}", self._message)
        app.router.add_get("/i/{name}", self._image)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def close(self) -> None:
        for session in self._http.values():
            await session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- the test's side --------------------------------------------------------------------

    def fail(self, kind: str, times: int = 1) -> None:
        """The next ``times`` sends fail as ``kind``: rate_limit, server_error, slow."""
        self.faults.extend([(kind, 1)] * times)

    def add_image(self, data: bytes) -> str:
        name = f"{len(self.images) + 1}"
        self.images[name] = data
        return f"{self.url}/i/{name}"

    def next_mid(self) -> str:
        return f"mid.0000017{next(self._mids):025x}"

    def sent_to(self, chat_id: str) -> list[dict[str, Any]]:
        return list(self.messages.get(chat_id, []))

    def sends(self) -> list[Call]:
        return [c for c in self.calls if c.path.startswith("/graph/me/messages/")]

    async def post(self, webhook: Any, source: str = "127.0.0.1", headers: dict[str, str] | None = None) -> int:
        """Send a webhook to the subscribed URL as OK does (a POST of JSON); the answer's status."""
        assert self.subscriptions, "the bot has not subscribed a webhook"
        if source not in self._http:
            connector = aiohttp.TCPConnector(local_addr=(source, 0))
            self._http[source] = aiohttp.ClientSession(connector=connector)
        # A lone surrogate cannot be UTF-8: it goes as the JSON escape "\ud800", as senders write it.
        data = webhook if isinstance(webhook, bytes) else (
            json.dumps(webhook, ensure_ascii=False).encode("utf-8", "backslashreplace"))
        async with self._http[source].post(self.subscriptions[-1], data=data, headers={
                "Content-Type": "application/json;charset=utf-8", **(headers or {})}) as response:
            await response.read()
            status = response.status
        if source == "127.0.0.1":
            self.webhook_answers.append(status)
            if self.on_answer is not None:
                self.on_answer(status)
        return status

    # -- OK's side --------------------------------------------------------------------------

    def _token_ok(self, request: web.Request) -> bool:
        return request.query.get("access_token") == self.token

    async def _subscribe(self, request: web.Request) -> web.Response:
        body = await _json(request)
        self.calls.append(Call(request.path, body))
        if not self._token_ok(request):
            return _error("error_session_expired.json")
        if not isinstance(body, dict) or not isinstance(body.get("url"), str):
            return _error_body(100, "PARAM : url is required")
        if body["url"] not in self.subscriptions:
            self.subscriptions.append(body["url"])
        return web.json_response(fixture("subscribe_answer.json"))

    async def _message(self, request: web.Request) -> web.StreamResponse:
        chat_id = request.match_info["chat_id"]
        body = await _json(request)
        call = Call(request.path, body)
        self.calls.append(call)
        if not self._token_ok(request):
            return _error("error_session_expired.json")
        if self.faults:
            kind, _ = self.faults.pop(0)
            match kind:
                case "rate_limit":
                    return _error("error_flood_blocked.json")
                case "server_error":
                    call.status = 502
                    return web.Response(status=502, text="<html><body>502 Bad Gateway</body></html>",
                                        content_type="text/html")
                case "system":
                    return _error("error_system.json")
                case "slow":
                    await asyncio.sleep(self.slow_seconds)
        if self._windows.admit(self.token, None if self.ceiling is None else int(self.ceiling),
                               self.accepted_at) is not None:
            self.rate_limited += 1
            return _error("error_flood_blocked.json")
        if chat_id in self.blocked:
            return _error("error_permission_denied.json")
        recipient = body.get("recipient") if isinstance(body, dict) else None
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(recipient, dict) or recipient.get("chat_id") != chat_id or not isinstance(message, dict):
            return _error_body(100, "PARAM : recipient.chat_id and message are required")
        if not message.get("text") and not message.get("attachments") and not message.get("attachment"):
            return _error_body(100, "PARAM : message is empty")
        mid = self.next_mid()
        self.messages.setdefault(chat_id, []).append({**message, "mid": mid})
        return web.json_response({**fixture("send_message_answer.json"), "message_id": mid})

    async def _image(self, request: web.Request) -> web.Response:
        data = self.images.get(request.match_info["name"])
        if data is None:
            return web.Response(status=404)
        return await in_pieces(request, data, "image/jpeg")


async def _json(request: web.Request) -> Any:
    try:
        return json.loads(await request.read())
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def _error(name: str) -> web.Response:
    body = fixture(name)
    return web.json_response(body, headers={"invocation-error": str(body["error_code"])})


def _error_body(code: int, message: str) -> web.Response:
    return web.json_response({"error_code": code, "error_msg": message, "error_data": None},
                             headers={"invocation-error": str(code)})
