"""A fake Telegram Bot API server on loopback, for the real aiogram client to talk to.

It speaks the Bot API's wire format (``POST /bot<token>/<method>`` with form or JSON fields,
``{"ok": …, "result": …}`` answers, ``GET /file/bot<token>/<path>`` for files), keeps the update
queue the way Telegram does (``getUpdates`` with an offset confirms and forgets what is below
it; a set webhook receives updates by POST with the secret token header instead), records every
call, and can be told to fail: 429 with ``retry_after``, 5xx, a proxy's HTML 502, an answer
slower than the client waits, and "bot was blocked by the user". Error bodies are the recorded
ones in ``tests/fixtures/telegram``.

``ceiling`` enforces Telegram's broadcast limit the way Telegram does: more messages than that
within any one second (a sliding window over the send methods, per bot token) are answered 429
with ``retry_after``, and counted in ``rate_limited``. ``strict`` counts every send that arrived in
the last second, refused ones too, stamped on arrival (``tests.fakes.ceiling``).
"""
from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import aiohttp
from aiohttp import web

from tests.fakes import in_pieces
from tests.fakes.ceiling import SlidingWindows

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "telegram"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Souchastie", "username": "souchastie_bot"}
SEND_METHODS = {"sendmessage", "sendphoto", "sendvideo", "senddocument"}
JSON_FIELDS = {"reply_markup", "allowed_updates"}
INT_FIELDS = {"chat_id", "offset", "limit", "timeout", "max_connections"}


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def error_body(kind: str) -> tuple[int, str]:
    """The status and body of each fault, as Telegram (or a proxy in front of it) answers."""
    match kind:
        case "rate_limit":
            return 429, json.dumps(fixture("error_429_too_many_requests.json"))
        case "rate_limit_long":
            return 429, json.dumps(fixture("error_429_too_many_requests_observed.json"))
        case "blocked":
            return 403, json.dumps(fixture("error_403_bot_blocked.json"))
        case "chat_not_found":
            return 400, json.dumps(fixture("error_400_chat_not_found.json"))
        case "server_error":
            return 500, json.dumps({"ok": False, "error_code": 500, "description": "Internal Server Error"})
        case "bad_gateway":
            return 502, "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    raise ValueError(f"no such fault: {kind}")


@dataclass
class Fault:
    kind: str
    method: str
    times: int
    chat_id: int | None = None


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200
    arrived: float = 0.0   # time.monotonic() when the request reached the fake


@dataclass
class FakeTelegram:
    token: str = "123456:TEST-fake-token_0123456789"
    slow_seconds: float = 3.0
    calls: list[Call] = field(default_factory=list)
    messages: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    photo_files: dict[str, bytes] = field(default_factory=dict)  # pictures uploaded with sendPhoto, by file_id
    blocked: set[int] = field(default_factory=set)
    webhook: dict[str, Any] | None = None
    webhook_answers: list[int] = field(default_factory=list)
    confirmed: int = 0           # every update below this id was acknowledged by an offset
    on_confirm: Callable[[int], None] | None = None
    ceiling: float | None = None   # messages a second per token; None: not enforced
    strict: bool = False           # every send counts, refused ones too, stamped on arrival
    rate_limited: int = 0          # sends answered 429 because of the ceiling
    accepted_at: list[float] = field(default_factory=list)  # monotonic times of calls within it
    polling: int = 0               # getUpdates requests being answered right now
    most_polling: int = 0          # the most at once: Telegram allows one poller per token

    def __post_init__(self) -> None:
        self.queue: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.files: dict[str, tuple[str, bytes]] = {}
        self._ids = itertools.count(700_000_000)
        self._message_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._windows = SlidingWindows(self.strict)
        self.url = ""

    # -- the test's side --------------------------------------------------------------------

    async def start(self) -> "FakeTelegram":
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        self._http = aiohttp.ClientSession()
        return self

    async def close(self) -> None:
        self._closing = True
        async with self._changed:
            self._changed.notify_all()
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def next_update_id(self) -> int:
        return next(self._ids)

    async def push(self, update: dict[str, Any]) -> int:
        """Give the bot an update: by webhook when one is set, else into the getUpdates queue."""
        update = {"update_id": self.next_update_id(), **update}
        if self.webhook is not None:
            assert self._http is not None
            headers = {}
            if self.webhook.get("secret_token"):
                headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
            async with self._http.post(self.webhook["url"], json=update, headers=headers) as response:
                self.webhook_answers.append(response.status)
        else:
            async with self._changed:
                self.queue.append(update)
                self._changed.notify_all()
        return update["update_id"]

    def fail(self, kind: str, method: str = "sendMessage", times: int = 1, chat_id: int | None = None) -> None:
        self.faults.append(Fault(kind, method.lower(), times, chat_id))

    def add_file(self, data: bytes, path: str) -> str:
        file_id = f"AgAC{len(self.files):04d}{abs(hash(data)) % 10**8:08d}"
        self.files[file_id] = (path, data)
        return file_id

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method.lower()]

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        return self.messages.get(chat_id, [])

    # -- the Bot API side -------------------------------------------------------------------

    async def _method(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        if request.match_info["token"] != self.token:
            return _answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        method = request.match_info["method"].lower()
        params = await _params(request)
        call = Call(method, params, arrived=arrived)
        self.calls.append(call)
        wait = self._over_ceiling(arrived) if method in SEND_METHODS else None
        if wait is not None:
            self.rate_limited += 1
            call.status = 429
            return _answer(429, {"ok": False, "error_code": 429,
                                 "description": f"Too Many Requests: retry after {wait}",
                                 "parameters": {"retry_after": wait}})
        fault = self._fault_for(method, params.get("chat_id"))
        if fault == "timeout":
            call.status = 0  # the client gives up before the answer comes
            await asyncio.sleep(self.slow_seconds)
            return _answer(504, {"ok": False, "error_code": 504, "description": "Gateway Timeout"})
        if fault is not None:
            call.status, body = error_body(fault)
            return web.Response(status=call.status, text=body, content_type="application/json")
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            call.status = 404
            return _answer(404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"})
        status, result = await handler(params)
        call.status = status
        if status != 200:
            return _answer(status, result)
        return _answer(200, {"ok": True, "result": result})

    def _over_ceiling(self, arrived: float) -> int | None:
        """``None`` when this send is within the ceiling, else the seconds to wait (at least 1)."""
        wait = self._windows.admit("", self.ceiling, self.accepted_at, arrived)
        return None if wait is None else max(1, math.ceil(wait))

    def _fault_for(self, method: str, chat_id: Any) -> str | None:
        if method in SEND_METHODS and chat_id in self.blocked:
            return "blocked"
        for fault in self.faults:
            if fault.method == method and fault.times > 0 and fault.chat_id in (None, chat_id):
                fault.times -= 1
                return fault.kind
        return None

    async def _getupdates(self, params: dict[str, Any]) -> tuple[int, Any]:
        if self.webhook is not None:
            return 409, {"ok": False, "error_code": 409, "description":
                         "Conflict: can't use getUpdates method while webhook is active; "
                         "use deleteWebhook to delete the webhook first"}
        self.polling += 1
        self.most_polling = max(self.most_polling, self.polling)
        try:
            return await self._long_poll(params)
        finally:
            self.polling -= 1

    async def _long_poll(self, params: dict[str, Any]) -> tuple[int, Any]:
        offset = params.get("offset") or 0
        async with self._changed:
            if offset:
                self.queue = [u for u in self.queue if u["update_id"] >= offset]
                if offset > self.confirmed:
                    self.confirmed = offset
                    if self.on_confirm is not None:
                        self.on_confirm(offset)
            deadline = time.monotonic() + float(params.get("timeout") or 0)
            while not self.queue and not self._closing and time.monotonic() < deadline:
                try:
                    await asyncio.wait_for(self._changed.wait(), deadline - time.monotonic())
                except asyncio.TimeoutError:
                    break
            return 200, self.queue[: int(params.get("limit") or 100)]

    async def _deletewebhook(self, params: dict[str, Any]) -> tuple[int, Any]:
        self.webhook = None
        return 200, True

    async def _setwebhook(self, params: dict[str, Any]) -> tuple[int, Any]:
        self.webhook = params
        return 200, True

    async def _getme(self, params: dict[str, Any]) -> tuple[int, Any]:
        return 200, BOT_USER

    async def _answercallbackquery(self, params: dict[str, Any]) -> tuple[int, Any]:
        return 200, True

    async def _sendmessage(self, params: dict[str, Any]) -> tuple[int, Any]:
        return self._record(params, text=params.get("text", ""))

    async def _sendphoto(self, params: dict[str, Any]) -> tuple[int, Any]:
        photo = params.get("photo")
        if isinstance(photo, bytes):  # uploaded with the call (multipart): a new file_id for it
            file_id = f"sent-{len(self.photo_files)}"
            self.photo_files[file_id] = photo
        elif photo in self.photo_files or photo == "sent" or str(photo).startswith("http"):
            file_id = str(photo)
        else:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: wrong file identifier"}
        status, answer = self._record(params, photo=[{"file_id": file_id, "file_unique_id": file_id[-8:],
                                                      "width": 1, "height": 1}])
        if status == 200 and file_id in self.photo_files:
            self.messages[params["chat_id"]][-1]["uploaded"] = isinstance(photo, bytes)
        return status, answer

    async def _sendvideo(self, params: dict[str, Any]) -> tuple[int, Any]:
        return self._record(params, video={"file_id": "sent", "file_unique_id": "s", "width": 1, "height": 1,
                                           "duration": 1})

    async def _senddocument(self, params: dict[str, Any]) -> tuple[int, Any]:
        return self._record(params, document={"file_id": "sent", "file_unique_id": "s"})

    async def _getfile(self, params: dict[str, Any]) -> tuple[int, Any]:
        stored = self.files.get(params.get("file_id", ""))
        if stored is None:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}
        path, data = stored
        return 200, {"file_id": params["file_id"], "file_unique_id": params["file_id"][-8:],
                     "file_size": len(data), "file_path": path}

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        self.calls.append(Call("file", {"path": request.match_info["path"]}))
        for path, data in self.files.values():
            if path == request.match_info["path"]:
                return await in_pieces(request, data, "application/octet-stream")
        return web.Response(status=404)

    def _record(self, params: dict[str, Any], **content: Any) -> tuple[int, Any]:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
        if "text" in content and not str(content["text"]).strip():
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}
        message_id = next(self._message_ids)
        self.messages.setdefault(chat_id, []).append(
            {"message_id": message_id, **content, "reply_markup": params.get("reply_markup")})
        return 200, {"message_id": message_id, "from": BOT_USER, "date": int(time.time()),
                     "chat": {"id": chat_id, "type": "private"}, **content}


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return await request.json()
    params: dict[str, Any] = {}
    for key, value in (await request.post()).items():
        if isinstance(value, web.FileField):
            params[key] = value.file.read()
        elif key in JSON_FIELDS:
            params[key] = json.loads(value)
        elif key in INT_FIELDS and value.lstrip("-").isdigit():
            params[key] = int(value)
        else:
            params[key] = value
    # A file may be given as "attach://<name>", naming another part of the form.
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = params.get(value.removeprefix("attach://"), value)
    return params


def _answer(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status)
