"""A fake WhatsApp Cloud API (Graph API) on loopback, and Meta's side of the webhook.

It speaks the Graph API's wire format for what the bot uses: ``POST /<version>/<phone id>/messages``
(answers ``{"messaging_product", "contacts", "messages": [{"id": "wamid…"}]}``), ``POST …/media``
(an upload), ``GET /<version>/<media id>`` (the media's URL) and the URL itself, all behind the
bearer token. It records every message per recipient and can be told to fail: 130429 (throughput
reached), 131047 (outside the 24-hour window, also for every number in ``closed_windows``
unless the message is a template), 131026 (the receiver cannot get it, as when blocked), 5xx,
and an answer slower than the client waits. Error bodies are the recorded ones in
``tests/fixtures/whatsapp``. ``ceiling`` enforces a messages-per-second limit with 130429.

As Meta, ``post_webhook`` signs a body with the app secret (``X-Hub-Signature-256``) and POSTs
it to the bot, the way the Cloud API delivers messages and statuses.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import aiohttp
from aiohttp import web

from tests.fakes import in_pieces
from tests.fakes.ceiling import SlidingWindows

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "whatsapp"
PHONE_NUMBER_ID = "1122334455667"
DISPLAY_NUMBER = "79140000000"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def error_body(kind: str) -> tuple[int, dict[str, Any]]:
    match kind:
        case "rate_limit":
            return 400, fixture("error_response_130429_assembled.json")
        case "outside_window":
            return 400, fixture("error_response_131047_assembled.json")
        case "blocked":
            return 400, {"error": {"message": "(#131026) Message undeliverable", "type": "OAuthException",
                                   "code": 131026, "error_data": {"messaging_product": "whatsapp", "details":
                                   "Receiver is incapable of receiving this message"}}}
        case "server_error":
            return 500, {"error": {"message": "An unknown error has occurred.", "type": "OAuthException",
                                   "code": 1, "is_transient": True}}
    raise ValueError(f"no such fault: {kind}")


@dataclass
class Fault:
    kind: str
    times: int
    to: str | None = None


@dataclass
class FakeGraph:
    token: str = "EAAG-fake-whatsapp-token"
    app_secret: str = "fake-app-secret"
    verify_token: str = "fake-verify-token"
    version: str = "v21.0"
    slow_seconds: float = 3.0
    ceiling: float | None = None
    rate_limited: int = 0
    accepted_at: list[float] = field(default_factory=list)
    calls: list[tuple[str, str, int]] = field(default_factory=list)   # method, path, status
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    closed_windows: set[str] = field(default_factory=set)
    blocked: set[str] = field(default_factory=set)
    webhook_url: str = ""
    webhook_answers: list[int] = field(default_factory=list)
    on_answer: Callable[[int], None] | None = None

    def __post_init__(self) -> None:
        self.faults: list[Fault] = []
        self.media: dict[str, tuple[bytes, str]] = {}
        self._ids = itertools.count(1)
        self._windows = SlidingWindows()
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> "FakeGraph":
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_post("/{version}/{phone}/messages", self._messages)
        app.router.add_post("/{version}/{phone}/media", self._upload)
        app.router.add_get("/download/{media_id}", self._download)
        app.router.add_get("/{version}/{media_id}", self._media_info)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        self._http = aiohttp.ClientSession()
        return self

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- the test's side --------------------------------------------------------------------

    def fail(self, kind: str, times: int = 1, to: str | None = None) -> None:
        self.faults.append(Fault(kind, times, to))

    def add_media(self, data: bytes, mime_type: str = "image/jpeg") -> str:
        media_id = str(900_000_000 + len(self.media))
        self.media[media_id] = (data, mime_type)
        return media_id

    def sent_to(self, wa_id: str) -> list[dict[str, Any]]:
        return self.messages.get(wa_id, [])

    def sign(self, body: bytes, secret: str | None = None) -> str:
        key = (secret or self.app_secret).encode()
        return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()

    async def post_webhook(self, body: dict[str, Any] | bytes, signature: str | None = "",
                           url: str | None = None) -> int:
        """POST ``body`` to the bot as Meta does; ``signature=None`` sends none, "" signs it right."""
        assert self._http is not None
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature or self.sign(raw)
        async with self._http.post(url or self.webhook_url, data=raw, headers=headers) as response:
            await response.read()
            self.webhook_answers.append(response.status)
            if self.on_answer is not None:
                self.on_answer(response.status)
            return response.status

    # -- the Graph API side -----------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    def _unauthorised(self) -> web.Response:
        return web.json_response({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException",
                                            "code": 190}}, status=401)

    def _fault_for(self, to: str) -> str | None:
        for fault in self.faults:
            if fault.times > 0 and fault.to in (None, to):
                fault.times -= 1
                return fault.kind
        return None

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if not self._authorised(request):
            self.calls.append(("POST", path, 401))
            return self._unauthorised()
        body = await request.json()
        to = str(body.get("to", ""))
        if request.match_info["phone"] != PHONE_NUMBER_ID or body.get("messaging_product") != "whatsapp":
            self.calls.append(("POST", path, 400))
            return web.json_response({"error": {"message": "(#100) Invalid parameter", "code": 100}}, status=400)
        if self._windows.admit(PHONE_NUMBER_ID, int(self.ceiling) if self.ceiling else None,
                               self.accepted_at) is not None:
            self.rate_limited += 1
            kind: str | None = "rate_limit"
        elif to in self.blocked:
            kind = "blocked"
        elif to in self.closed_windows and body.get("type") != "template":
            kind = "outside_window"
        else:
            kind = self._fault_for(to)
        if kind == "timeout":
            self.calls.append(("POST", path, 0))
            await asyncio.sleep(self.slow_seconds)
            kind = None  # it went through after all, only too late for the client
        if kind is not None:
            status, error = error_body(kind)
            self.calls.append(("POST", path, status))
            return web.json_response(error, status=status)
        wamid = f"wamid.HBgL{next(self._ids):012d}"
        self.messages.setdefault(to, []).append({"id": wamid, **body})
        self.calls.append(("POST", path, 200))
        return web.json_response({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                                  "messages": [{"id": wamid}]})

    async def _upload(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._unauthorised()
        form = await request.post()
        upload = form["file"]
        assert isinstance(upload, web.FileField)
        media_id = self.add_media(upload.file.read(), str(form.get("type", "")))
        self.calls.append(("POST", request.path, 200))
        return web.json_response({"id": media_id})

    async def _media_info(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._unauthorised()
        media_id = request.match_info["media_id"]
        self.calls.append(("GET", request.path, 200 if media_id in self.media else 404))
        if media_id not in self.media:
            return web.json_response({"error": {"message": "(#100) Invalid parameter", "code": 100}}, status=400)
        data, mime = self.media[media_id]
        return web.json_response({"messaging_product": "whatsapp", "url": f"{self.url}/download/{media_id}",
                                  "mime_type": mime, "sha256": hashlib.sha256(data).hexdigest(),
                                  "file_size": len(data), "id": media_id})

    async def _download(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.Response(status=401)
        media_id = request.match_info["media_id"]
        self.calls.append(("GET", request.path, 200 if media_id in self.media else 404))
        if media_id not in self.media:
            return web.Response(status=404)
        data, mime = self.media[media_id]
        return await in_pieces(request, data, mime)
