"""A fake MAX bot API on loopback: long polling with markers, sends, callback answers, webhooks.

It speaks MAX's wire format (``Authorization: <token>``, JSON bodies, ``{code, message}``
errors shaped like the fixtures, ``{updates, marker}`` answers), records every call, and checks
what MAX checks: the token, text length, keyboards within MAX's limits. Marker semantics follow
the schema: a request that carries ``marker`` commits every update before it; a request
without one gets everything not yet committed.

Faults are switched per route (``"POST /messages"``, ``"GET /updates"``, …) with
``fail(route, kind, times)``: ``429`` (rate limit), ``5xx`` (HTTP 500), ``timeout`` (the answer
comes after ``slow_seconds``; the call still takes effect, as a real time-out may),
``not_ready`` (400 ``attachment.not.ready``). ``block(user_id)`` makes sends to that user fail
with 403 ``chat.denied``, as MAX answers for a resident who stopped the bot.

``ceiling`` enforces MAX's requests a second per bot over a sliding one-second window (every
route counts): a request beyond it is answered 429 ``too.many.requests`` and counted in
``rate_limited``.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes import in_pieces
from tests.fakes.ceiling import SlidingWindows

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "max"
SPECIAL = {"link", "request_geo_location", "request_contact", "open_app"}


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any


@dataclass
class FakeMax:
    token: str = "max-test-token"
    bot_user_id: int = 229229229
    slow_seconds: float = 3.0
    calls: list[Call] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    markers_seen: list[int | None] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)
    images: dict[str, bytes] = field(default_factory=dict)
    uploaded: dict[str, bytes] = field(default_factory=dict)  # pictures the bot uploaded, by token
    port: int = 0
    ceiling: float | None = None   # requests a second per token; None: not enforced
    rate_limited: int = 0          # requests answered 429 because of the ceiling
    accepted_at: list[float] = field(default_factory=list)  # monotonic times of calls within it
    polling: int = 0               # GET /updates being answered right now
    most_polling: int = 0          # the most at once: one poller per token is what MAX expects

    def __post_init__(self) -> None:
        self._faults: dict[str, deque[str]] = defaultdict(deque)
        self._updates: list[tuple[int, dict[str, Any]]] = []
        self._seq = itertools.count(25493970)
        self._committed = 0
        self._changed = asyncio.Event()
        # Set by stop(): an open long poll answers at once. (Its event stays set then, and a poll that
        # only waited on it would go round in a busy loop until its timeout.)
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._windows = SlidingWindows()

    # -- what a test does --------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def push(self, *updates: dict[str, Any]) -> None:
        """Updates that happened at MAX, offered to the next long poll."""
        for update in updates:
            self._updates.append((next(self._seq), update))
        self._changed.set()
        self._changed = asyncio.Event()

    @property
    def last_marker(self) -> int:
        """The marker that acknowledges every update pushed so far."""
        return self._updates[-1][0] + 1 if self._updates else 0

    def fail(self, route: str, kind: str, times: int = 1) -> None:
        self._faults[route].extend([kind] * times)

    def block(self, user_id: int) -> None:
        self.blocked.add(user_id)

    def image_url(self, data: bytes) -> str:
        token = uuid.uuid4().hex
        self.images[token] = data
        return f"{self.url}/i?r={token}"

    def sent_to(self, user_id: int) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["user_id"] == user_id]

    async def post_webhook(self, update: dict[str, Any], secret: str | None = "use-subscription",
                           body: bytes | None = None) -> int:
        """Deliver an update to the subscribed URL as MAX does; returns the HTTP status."""
        subscription = self.subscriptions[-1]
        headers = {"Content-Type": "application/json"}
        secret = subscription.get("secret") if secret == "use-subscription" else secret
        if secret is not None:
            headers["X-Max-Bot-Api-Secret"] = secret
        data = body if body is not None else json.dumps(update).encode()
        async with self._http.post(subscription["url"], data=data, headers=headers) as response:
            await response.read()
            return response.status

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        self._closing = False
        app = web.Application()
        app.router.add_get("/updates", self._get_updates)
        app.router.add_post("/messages", self._post_message)
        app.router.add_post("/answers", self._post_answer)
        app.router.add_get("/subscriptions", self._get_subscriptions)
        app.router.add_post("/subscriptions", self._post_subscription)
        app.router.add_get("/i", self._get_image)
        app.router.add_post("/uploads", self._post_uploads)
        app.router.add_post("/upload/image", self._post_upload_image)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._http = aiohttp.ClientSession()

    async def stop(self) -> None:
        self._closing = True
        self._changed.set()
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- the API -----------------------------------------------------------------------------

    async def _enter(self, request: web.Request) -> tuple[Any, web.Response | None]:
        """Record the call, check the token, apply a switched fault; the body when all is well."""
        body: Any = None
        if request.can_read_body:
            try:
                body = await request.json()
            except json.JSONDecodeError:
                return None, _error(400, "proto.payload", "the body is not JSON")
        self.calls.append(Call(request.method, request.path, dict(request.query), body))
        if request.headers.get("Authorization") != self.token:
            return body, web.json_response(fixture("error_verify_token.json"), status=401)
        if self._over_ceiling(self.token):
            self.rate_limited += 1
            return body, _error(429, "too.many.requests", "The number of requests is exceeded")
        faults = self._faults.get(f"{request.method} {request.path}")
        kind = faults.popleft() if faults else ""
        match kind:
            case "429":
                return body, _error(429, "too.many.requests", "The number of requests is exceeded")
            case "5xx":
                return body, _error(500, "internal.error", "Internal error")
            case "not_ready":
                return body, web.json_response(fixture("error_attachment_not_ready.json"), status=400)
            case "timeout":
                await asyncio.sleep(self.slow_seconds)
        return body, None

    def _over_ceiling(self, token: str) -> bool:
        return self._windows.admit(token, self.ceiling, self.accepted_at) is not None

    async def _get_updates(self, request: web.Request) -> web.Response:
        self.polling += 1
        self.most_polling = max(self.most_polling, self.polling)
        try:
            return await self._long_poll(request)
        finally:
            self.polling -= 1

    async def _long_poll(self, request: web.Request) -> web.Response:
        _, refused = await self._enter(request)
        if refused is not None:
            return refused
        query = request.query
        marker = int(query["marker"]) if query.get("marker") not in (None, "", "null") else None
        self.markers_seen.append(marker)
        if marker is not None:
            self._committed = max(self._committed, marker)
        limit = int(query.get("limit", "100"))
        wanted = set(query["types"].split(",")) if query.get("types") else None
        deadline = time.monotonic() + int(query.get("timeout", "30"))
        while True:
            changed = self._changed
            pending = [(seq, u) for seq, u in self._updates if seq >= self._committed][:limit]
            if pending or self._closing or time.monotonic() >= deadline:
                break
            try:
                await asyncio.wait_for(changed.wait(), deadline - time.monotonic())
            except asyncio.TimeoutError:
                pass
        next_marker = pending[-1][0] + 1 if pending else self._committed
        return web.json_response({"updates": [u for _, u in pending if wanted is None or u["update_type"] in wanted],
                                  "marker": next_marker or None})

    async def _post_message(self, request: web.Request) -> web.Response:
        body, refused = await self._enter(request)
        if refused is not None:
            return refused
        user_id = int(request.query.get("user_id", "0"))
        if not user_id:
            return _error(400, "proto.payload", "user_id or chat_id is required")
        if user_id in self.blocked:
            return web.json_response(fixture("error_chat_denied_observed.json"), status=403)
        problem = _check_message(body) or self._unknown_image(body)
        if problem:
            return _error(400, "proto.payload", problem)
        mid = f"mid.{uuid.uuid4().hex}"
        message = {"recipient": {"chat_id": user_id + 1_000_000, "chat_type": "dialog", "user_id": user_id},
                   "timestamp": int(time.time() * 1000),
                   "body": {"mid": mid, "seq": next(self._seq), "text": body.get("text"),
                            "attachments": body.get("attachments") or []},
                   "sender": {"user_id": self.bot_user_id, "first_name": "Souchastie", "username": "souchastie_bot",
                              "is_bot": True, "last_activity_time": int(time.time() * 1000), "name": "Souchastie"}}
        self.sent.append({"user_id": user_id, "mid": mid, "text": body.get("text") or "",
                          "attachments": body.get("attachments") or []})
        return web.json_response({"message": message})

    async def _post_uploads(self, request: web.Request) -> web.Response:
        """``POST /uploads?type=image``: where to upload (the file itself carries no token)."""
        _, refused = await self._enter(request)
        if refused is not None:
            return refused
        if request.query.get("type") != "image":
            return _error(400, "proto.payload", "type: only image is faked")
        return web.json_response({"url": f"{self.url}/upload/image?photoIds={uuid.uuid4().hex}"})

    async def _post_upload_image(self, request: web.Request) -> web.Response:
        """The upload server: a multipart ``data`` field, answered with the photo's token."""
        form = await request.post()
        data = form.get("data")
        if not isinstance(data, web.FileField):
            return _error(400, "upload.error", "no data field")
        token = uuid.uuid4().hex
        self.uploaded[token] = data.file.read()
        return web.json_response({"photos": {request.query.get("photoIds", "1"): {"token": token}}})

    def _unknown_image(self, body: Any) -> str:
        for attachment in body.get("attachments") or []:
            token = (attachment.get("payload") or {}).get("token")
            if attachment.get("type") == "image" and token not in self.uploaded:
                return "attachment: unknown image token"
        return ""

    async def _post_answer(self, request: web.Request) -> web.Response:
        _, refused = await self._enter(request)
        if refused is not None:
            return refused
        callback_id = request.query.get("callback_id", "")
        if not callback_id.strip():
            return _error(400, "proto.payload", "callback_id is required")
        self.answered.append(callback_id)
        return web.json_response({"success": True})

    async def _get_subscriptions(self, request: web.Request) -> web.Response:
        _, refused = await self._enter(request)
        if refused is not None:
            return refused
        return web.json_response({"subscriptions": [
            {"url": s["url"], "time": s["time"], "update_types": s.get("update_types"), "version": "0.0.30"}
            for s in self.subscriptions]})

    async def _post_subscription(self, request: web.Request) -> web.Response:
        body, refused = await self._enter(request)
        if refused is not None:
            return refused
        if not isinstance(body, dict) or not str(body.get("url", "")).startswith(("http://", "https://")):
            return _error(400, "proto.payload", "url is required")
        self.subscriptions = [s for s in self.subscriptions if s["url"] != body["url"]]
        self.subscriptions.append({**body, "time": int(time.time() * 1000)})
        return web.json_response({"success": True})

    async def _get_image(self, request: web.Request) -> web.Response:
        data = self.images.get(request.query.get("r", ""))
        if data is None:
            return web.Response(status=404)
        return await in_pieces(request, data, "image/jpeg")


def _check_message(body: Any) -> str:
    """What MAX would refuse in a ``NewMessageBody`` (schema 0.0.30 and dev.max.ru limits)."""
    if not isinstance(body, dict):
        return "the body must be a NewMessageBody object"
    text = body.get("text") or ""
    if len(text) > 4000:
        return "text: size must be between 0 and 4000"
    for attachment in body.get("attachments") or []:
        if attachment.get("type") != "inline_keyboard":
            continue
        rows = attachment.get("payload", {}).get("buttons") or []
        if not rows or len(rows) > 30 or sum(len(r) for r in rows) > 210:
            return "errors.maxRows: a keyboard has 1 to 30 rows and at most 210 buttons"
        for row in rows:
            width = 3 if any(b.get("type") in SPECIAL for b in row) else 7
            if not row or len(row) > width:
                return f"errors.maxButtonsInRow: at most {width} buttons in this row"
            for button in row:
                if not 1 <= len(button.get("text") or "") <= 128:
                    return "button.text: size must be between 1 and 128"
                if button.get("type") == "callback" and len(button.get("payload") or "") > 1024:
                    return "button.payload: size must be at most 1024"
    return ""


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"code": code, "message": message}, status=status)
