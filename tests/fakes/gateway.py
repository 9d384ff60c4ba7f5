"""A fake third-party gateway on loopback: it receives the bot's replies and serves photos.

It checks every reply the way a real gateway following docs/gateway.md would: the
``X-Souchastie-Signature`` must be the HMAC-SHA256 of the raw body with the shared key (else
401, and the reply is not recorded), and an ``Idempotency-Key`` seen before is answered 200
without recording the reply again (counted in ``repeats``). Faults can be queued per resident or
for everyone: 429 with ``Retry-After``, 500, an answer slower than the bot waits (the reply is
recorded first, as a gateway that got it but answered late would), 410 "the resident blocked the
bot", and 400. ``ceiling`` answers 429 to more than that many replies in any one second.
"""
from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from typing import Any

from aiohttp import web

from channels.gateway.protocol import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, sign, verify
from tests.fakes import in_pieces
from tests.fakes.ceiling import SlidingWindows

SECRET = "gateway-test-secret-0123456789"
FAULTS = ("rate_limit", "server_error", "timeout", "blocked", "bad_request")


class FakeGateway:
    def __init__(self, secret: str = SECRET, ceiling: int | None = None) -> None:
        self.secret = secret
        self.ceiling = ceiling
        self.received: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.keys: set[str] = set()
        self.repeats = 0
        self.refused_signatures = 0
        self.calls = 0
        self.rate_limited = 0
        self.accepted_at: list[float] = []
        self.faults: dict[str, list[str]] = defaultdict(list)   # user id or "*" → faults to answer next
        self.blocked: set[str] = set()
        self.photos: dict[str, bytes] = {}
        self.slow_seconds = 3.0
        self._windows = SlidingWindows()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> FakeGateway:
        app = web.Application()
        app.router.add_post("/replies", self.reply)
        app.router.add_get("/photos/{name}", self.photo)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def outbound_url(self) -> str:
        return self.url + "/replies"

    def fail(self, fault: str, user: str = "*", times: int = 1) -> None:
        assert fault in FAULTS, fault
        self.faults[user].extend([fault] * times)

    def add_photo(self, data: bytes) -> str:
        name = f"p{len(self.photos)}.jpg"
        self.photos[name] = data
        return f"{self.url}/photos/{name}"

    def sent_to(self, user: str) -> list[dict[str, Any]]:
        return self.received.get(user, [])

    def _next_fault(self, user: str) -> str | None:
        for key in (user, "*"):
            if self.faults.get(key):
                return self.faults[key].pop(0)
        return None

    async def reply(self, request: web.Request) -> web.Response:
        self.calls += 1
        body = await request.read()
        if not verify(self.secret, body, request.headers.get(SIGNATURE_HEADER)):
            self.refused_signatures += 1
            return web.json_response({"ok": False, "error": "bad_signature"}, status=401)
        message = json.loads(body)
        key = request.headers.get(IDEMPOTENCY_HEADER, "")
        user = message["user"]["id"]
        assert key and key == message["id"], "every reply names its idempotency key in the header and body"
        if user in self.blocked:
            return web.json_response({"ok": False, "error": "user_blocked"}, status=410)
        wait = self._windows.admit("bot", self.ceiling, self.accepted_at)
        if wait is not None:
            self.rate_limited += 1
            return web.json_response({"ok": False, "error": "rate_limited"}, status=429,
                                     headers={"Retry-After": "1"})
        fault = self._next_fault(user)
        match fault:
            case "rate_limit":
                return web.json_response({"ok": False, "error": "rate_limited"}, status=429,
                                         headers={"Retry-After": "0.1"})
            case "server_error":
                return web.json_response({"ok": False, "error": "internal"}, status=500)
            case "blocked":
                self.blocked.add(user)
                return web.json_response({"ok": False, "error": "user_blocked"}, status=410)
            case "bad_request":
                return web.json_response({"ok": False, "error": "bad_request"}, status=400)
        if key in self.keys:
            self.repeats += 1
        else:
            self.keys.add(key)
            self.received[user].append(message)
        if fault == "timeout":
            await asyncio.sleep(self.slow_seconds)
        return web.json_response({"ok": True})

    async def photo(self, request: web.Request) -> web.Response:
        data = self.photos.get(request.match_info["name"])
        if data is None:
            return web.Response(status=404)
        return await in_pieces(request, data, "image/jpeg")


def signed(secret: str, event: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """An event's body and headers as a gateway sends them."""
    # A lone surrogate cannot be UTF-8: it goes as the JSON escape "\ud800", as senders write it.
    body = json.dumps(event, ensure_ascii=False).encode("utf-8", "backslashreplace")
    return body, {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body)}
