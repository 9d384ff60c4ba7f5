"""A fake VK on loopback: the API methods the bot calls, a Bots Long Poll server, photo files.

It speaks VK's wire format (form-encoded method calls, ``{"response": …}`` / ``{"error": …}``
answers shaped like the fixtures, long-poll ``{ts, updates}`` and ``failed`` answers), records
every call, and checks what VK checks: the token, keyboards within VK's limits, text length,
and ``random_id`` (a second send with the same one is not delivered again, as at VK).

Faults are switched per method with ``fail(method, kind, times)``: ``rate`` (error 6),
``flood`` (error 9), ``5xx`` (HTTP 500), ``timeout`` (the answer comes after ``slow_seconds``,
and the call still takes effect, as a real time-out may); ``block(user)`` gives error 901.

``messages.send`` with ``peer_ids`` (at most 100) answers one item per peer, as VK does:
``{peer_id, message_id, conversation_message_id}`` or ``{peer_id, error: {code, description}}``.

``ceiling`` enforces VK's requests a second per token the way VK does, over a sliding one-second
window: a request beyond it is answered error 6 and counted in ``rate_limited``. An ``execute``
is one request, whatever it runs.

``execute`` is understood in the one form the bot writes (``channels.vk.execute.script``),
``return [API.<section>.<method>({<JSON object>}),…];`` with at most 25 calls; any other code is
answered error 12 (unable to compile), more calls error 13. Each call inside runs as it would
alone and is recorded in ``calls`` under its own method (so ``calls_of("messages.send")`` counts
sends, batched or not); a refused one is ``false`` in ``response`` with its error in
``execute_errors`` (``{method, error_code, error_msg}``), as VK answers. Faults switched on a
method apply inside an execute too: ``rate`` and ``flood`` refuse that call alone; ``5xx`` and
``timeout`` hit the whole request (nothing runs; everything runs late).

``users.get`` answers each id as the documented user object (``fixtures/vk/users_get_response_assembled.json``):
``{id, first_name, last_name, can_access_closed, is_closed}``, the name from ``names`` (or a made-up
one), or ``{id, first_name: "DELETED", last_name: "", deactivated: "deleted"}`` for ``deleted`` ids.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import re
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from aiohttp import web

from tests.fakes import in_pieces
from tests.fakes.ceiling import SlidingWindows

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "vk"
ERRORS = {"rate": "error_6_too_many_requests_assembled.json", "flood": "error_9_flood_control_assembled.json",
          "blocked": "error_901_no_permission_assembled.json", "too_long": "error_914_message_too_long_assembled.json"}
EXECUTE_CALLS = 25
SCRIPT_CALL = re.compile(r"API\.([a-zA-Z]+\.[a-zA-Z]+)\(")
FIRST_NAMES = ("Анна", "Иван", "Мария", "Пётр", "Ольга", "Сергей")


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class Call:
    method: str
    params: dict[str, str]


@dataclass
class FakeVk:
    token: str = "vk-test-token"
    group_id: int = 777
    slow_seconds: float = 3.0
    calls: list[Call] = field(default_factory=list)
    answered: list[Call] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    requested_ts: list[int] = field(default_factory=list)
    blocked: set[int] = field(default_factory=set)
    photos: dict[str, bytes] = field(default_factory=dict)
    key: str = "key-1"
    port: int = 0
    ceiling: float | None = None   # API calls a second per token; None: not enforced
    rate_limited: int = 0          # calls answered error 6 because of the ceiling
    accepted_at: list[float] = field(default_factory=list)  # monotonic times of calls within it
    polling: int = 0               # long-poll requests being answered right now
    most_polling: int = 0          # the most at once: one poller per community token
    names: dict[int, tuple[str, str]] = field(default_factory=dict)  # users.get: (first, last) by id
    deleted: set[int] = field(default_factory=set)                    # users.get: deleted pages
    uploaded: dict[str, bytes] = field(default_factory=dict)  # photos saved for messages, by attachment name

    def __post_init__(self) -> None:
        # Called with (requested ts, updates about to be returned) as each poll is answered:
        # crash tests kill the bot at exact moments of the exchange.
        self.on_poll: Callable[[int, int], None] | None = None
        self._faults: dict[str, deque[str]] = defaultdict(deque)
        self._poll_faults: deque[int] = deque()
        self._by_random_id: dict[tuple[str, str], int] = {}
        self._message_ids = itertools.count(1000)
        self._wakeup = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._windows = SlidingWindows()
        self.intents: list[tuple[str, str]] = []   # (intent, subscribe_id) of every send, "" if none
        self.by_peer: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self._new_message = asyncio.Event()
        self._pending_uploads: dict[str, bytes] = {}

    # -- what tests use -------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return self.base + "/method"

    def push(self, update: dict[str, Any]) -> None:
        """Queue an update for the long poll (VK numbers events; ``ts`` counts them here)."""
        self.updates.append(update)
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    def fail(self, method: str, kind: str, times: int = 1) -> None:
        self._faults[method].extend([kind] * times)

    def fail_poll(self, failed: int) -> None:
        self._poll_faults.append(failed)

    def block(self, user_id: int) -> None:
        self.blocked.add(user_id)

    def put_photo(self, data: bytes) -> str:
        name = uuid.uuid4().hex
        self.photos[name] = data
        return f"{self.base}/photos/{name}.jpg"

    def sent_to(self, peer_id: int) -> list[dict[str, Any]]:
        return list(self.by_peer.get(peer_id, ()))

    def user_name(self, user_id: int) -> tuple[str, str]:
        """(first, last) as users.get gives them: set in ``names``, else made up from the id."""
        return self.names.get(user_id, (FIRST_NAMES[user_id % len(FIRST_NAMES)], f"Житель{user_id}"))

    async def message_after(self, peer_id: int, seen: int) -> dict[str, Any]:
        """The first message to ``peer_id`` after the ``seen`` ones, once it is sent."""
        while len(self.by_peer.get(peer_id, ())) <= seen:
            wakeup = self._new_message
            await wakeup.wait()
        return self.by_peer[peer_id][seen]

    def calls_of(self, method: str, answered: bool = False) -> list[Call]:
        return [c for c in (self.answered if answered else self.calls) if c.method == method]

    @property
    def acknowledged(self) -> int:
        """Updates the bot has confirmed by asking for a later ``ts``."""
        return max(self.requested_ts, default=0)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/method/{method}", self.method)
        app.router.add_get("/longpoll/{group}", self.longpoll)
        app.router.add_get("/photos/{name}.jpg", self.photo)
        app.router.add_post("/upload/photo", self.upload)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # -- the API --------------------------------------------------------------------------------

    async def method(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        params = {**request.query, **(await request.post())}
        call = Call(name, {k: str(v) for k, v in params.items()})
        inner = self._inner_calls(call)
        self.calls.extend([call, *inner])
        try:
            return await self._answer(name, call.params, inner)
        finally:
            self.answered.extend([call, *inner])

    def _inner_calls(self, call: Call) -> list[Call]:
        if call.method != "execute" or call.params.get("access_token") != self.token:
            return []
        try:
            return [Call(method, values) for method, values in parse_script(call.params.get("code", ""))]
        except ValueError:
            return []

    async def _answer(self, name: str, params: dict[str, str], inner: list[Call]) -> web.Response:
        if params.get("access_token") != self.token:
            return _error(5, "User authorization failed: invalid access_token (4).")
        if self._over_ceiling(params["access_token"]):
            self.rate_limited += 1
            return web.json_response(fixture(ERRORS["rate"]))
        faults = [self._fault(name)] + [self._fault(call.method) for call in inner]
        if any(fault in ("rate", "flood") for fault in faults[:1]):
            return web.json_response(fixture(ERRORS[faults[0]]))
        if "5xx" in faults:
            return web.Response(status=500, text="Internal Server Error")
        if "timeout" in faults:
            await asyncio.sleep(self.slow_seconds)
        if name != "execute":
            return web.json_response(self._result(name, params))
        if not inner and not re.fullmatch(r"return \[\];", params.get("code", "").strip()):
            return _error(12, "Unable to compile code")
        if len(inner) > EXECUTE_CALLS:
            return _error(13, "Runtime error occurred during code invocation: Too many API calls")
        responses, errors = [], []
        for call, fault in zip(inner, faults[1:]):
            body = fixture(ERRORS[fault]) if fault in ("rate", "flood") else self._result(call.method, call.params)
            if "response" in body:
                responses.append(body["response"])
            else:
                responses.append(False)
                errors.append({"method": call.method, "error_code": body["error"]["error_code"],
                               "error_msg": body["error"]["error_msg"]})
        return web.json_response({"response": responses, **({"execute_errors": errors} if errors else {})})

    def _fault(self, method: str) -> str:
        return self._faults[method].popleft() if self._faults[method] else ""

    def _result(self, name: str, params: dict[str, str]) -> dict[str, Any]:
        """What one call answers: ``{"response": …}`` or ``{"error": …}``."""
        match name:
            case "groups.getById":
                return {"response": {"groups": [{"id": self.group_id, "name": "Парку быть!", "type": "group"}]}}
            case "groups.getLongPollServer":
                if params.get("group_id") != str(self.group_id):
                    return _refusal(100, "One of the parameters specified was missing or invalid: group_id")
                return {"response": {"key": self.key, "server": f"{self.base}/longpoll/{self.group_id}",
                                     "ts": str(len(self.updates))}}
            case "messages.send":
                return self._send(params)
            case "messages.sendMessageEventAnswer":
                if not params.get("event_id"):
                    return _refusal(100, "One of the parameters specified was missing or invalid: event_id")
                return {"response": 1}
            case "users.get":
                return self._users(params)
            case "photos.getMessagesUploadServer":
                return {"response": {"upload_url": f"{self.base}/upload/photo", "album_id": -64,
                                     "group_id": self.group_id}}
            case "photos.saveMessagesPhoto":
                data = self._pending_uploads.pop(params.get("photo", ""), None)
                if data is None or params.get("hash") != "h" + params.get("photo", "")[:8]:
                    return _refusal(100, "One of the parameters specified was missing or invalid: photo")
                photo_id = next(self._message_ids)
                self.uploaded[f"photo-{self.group_id}_{photo_id}_ak{photo_id}"] = data
                return {"response": [{"id": photo_id, "owner_id": -self.group_id, "access_key": f"ak{photo_id}",
                                      "album_id": -64, "sizes": []}]}
        return _refusal(3, "Unknown method passed.")

    def _users(self, params: dict[str, str]) -> dict[str, Any]:
        try:
            ids = [int(i) for i in params.get("user_ids", "").split(",") if i]
        except ValueError:
            return _refusal(100, "One of the parameters specified was missing or invalid: user_ids")
        if len(ids) > 1000:
            return _refusal(100, "One of the parameters specified was missing or invalid: user_ids is too long")
        alive, deleted = fixture("users_get_response_assembled.json")["response"]
        users = []
        for user in ids:
            if user in self.deleted:
                users.append({**deleted, "id": user})
                continue
            first, last = self.user_name(user)
            users.append({**alive, "id": user, "first_name": first, "last_name": last})
        return {"response": users}

    def _over_ceiling(self, token: str) -> bool:
        return self._windows.admit(token, self.ceiling, self.accepted_at) is not None

    def _send(self, params: dict[str, str]) -> dict[str, Any]:
        self.intents.append((params.get("intent", ""), params.get("subscribe_id", "")))
        if params.get("peer_ids"):
            return self._send_many(params)
        peer = int(params.get("peer_id") or params.get("user_id") or 0)
        if peer in self.blocked:
            return fixture(ERRORS["blocked"])
        if "random_id" not in params:
            return _refusal(100, "One of the parameters specified was missing or invalid: random_id is required")
        if len(params.get("message", "")) > 4096:
            return fixture(ERRORS["too_long"])
        keyboard = json.loads(params["keyboard"]) if params.get("keyboard") else None
        problem = keyboard_problem(keyboard) if keyboard is not None else ""
        if problem:
            return _refusal(911, f"Keyboard format is invalid: {problem}")
        known = self._by_random_id.get((str(peer), params["random_id"]))
        if known is not None:
            return {"response": known}  # VK: the same random_id again is the same message, not a new one
        message_id = next(self._message_ids)
        self._by_random_id[(str(peer), params["random_id"])] = message_id
        attachment = params.get("attachment", "")
        if attachment and any(name not in self.uploaded for name in attachment.split(",")):
            return _refusal(100, "One of the parameters specified was missing or invalid: attachment")
        self._record({"peer_id": peer, "message": params.get("message", ""), "keyboard": keyboard,
                      "random_id": int(params["random_id"]), "message_id": message_id, "attachment": attachment})
        return {"response": message_id}

    def _send_many(self, params: dict[str, str]) -> dict[str, Any]:
        try:
            peers = [int(p) for p in params["peer_ids"].split(",")]
        except ValueError:
            return _refusal(100, "One of the parameters specified was missing or invalid: peer_ids")
        if len(peers) > 100:
            return _refusal(100, "One of the parameters specified was missing or invalid: peer_ids is too long")
        if "random_id" not in params:
            return _refusal(100, "One of the parameters specified was missing or invalid: random_id is required")
        if len(params.get("message", "")) > 4096:
            return fixture(ERRORS["too_long"])
        keyboard = json.loads(params["keyboard"]) if params.get("keyboard") else None
        problem = keyboard_problem(keyboard) if keyboard is not None else ""
        if problem:
            return _refusal(911, f"Keyboard format is invalid: {problem}")
        items = []
        for peer in peers:
            if peer in self.blocked:
                denied = fixture(ERRORS["blocked"])["error"]
                items.append({"peer_id": peer, "error": {"code": denied["error_code"],
                                                         "description": denied["error_msg"]}})
                continue
            known = self._by_random_id.get((str(peer), params["random_id"]))
            if known is None:
                known = next(self._message_ids)
                self._by_random_id[(str(peer), params["random_id"])] = known
                self._record({"peer_id": peer, "message": params.get("message", ""), "keyboard": keyboard,
                              "random_id": int(params["random_id"]), "message_id": known})
            items.append({"peer_id": peer, "message_id": known, "conversation_message_id": known})
        return {"response": items}

    def _record(self, message: dict[str, Any]) -> None:
        self.sent.append(message)
        self.by_peer[message["peer_id"]].append(message)
        self._new_message.set()
        self._new_message = asyncio.Event()

    # -- the long poll and files ----------------------------------------------------------------

    async def longpoll(self, request: web.Request) -> web.Response:
        self.polling += 1
        self.most_polling = max(self.most_polling, self.polling)
        try:
            return await self._long_poll(request)
        finally:
            self.polling -= 1

    async def _long_poll(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("act") != "a_check" or query.get("key") != self.key:
            return web.json_response({"failed": 2})
        ts = int(query.get("ts", "0"))
        self.requested_ts.append(ts)
        if self.on_poll is not None:
            self.on_poll(ts, 0)
        if self._poll_faults:
            failed = self._poll_faults.popleft()
            if failed in (2, 3):
                self.key = f"key-{uuid.uuid4().hex[:8]}"
            return web.json_response({"failed": failed, "ts": len(self.updates)} if failed == 1
                                     else {"failed": failed})
        deadline = asyncio.get_running_loop().time() + min(float(query.get("wait", "25")), 90)
        while len(self.updates) <= ts:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            wakeup = self._wakeup
            try:
                await asyncio.wait_for(wakeup.wait(), remaining)
            except asyncio.TimeoutError:
                break
        batch = self.updates[ts:]
        if self.on_poll is not None and batch:
            self.on_poll(ts, len(batch))
        return web.json_response({"ts": str(ts + len(batch)), "updates": batch})

    async def upload(self, request: web.Request) -> web.Response:
        """The upload server: a multipart ``photo`` field, answered with what saveMessagesPhoto takes."""
        form = await request.post()
        field_ = form.get("photo")
        if not isinstance(field_, web.FileField):
            return web.json_response({"server": 1, "photo": "[]", "hash": ""})
        token = uuid.uuid4().hex
        self._pending_uploads[token] = field_.file.read()
        return web.json_response({"server": 1, "photo": token, "hash": "h" + token[:8]})

    async def photo(self, request: web.Request) -> web.Response:
        data = self.photos.get(request.match_info["name"])
        if data is None:
            return web.Response(status=404, text="Not Found")
        return await in_pieces(request, data, "image/jpeg")


def keyboard_problem(keyboard: dict[str, Any]) -> str:
    """What VK would refuse in a keyboard (dev.vk.com, bots keyboard), or ""."""
    rows = keyboard.get("buttons", [])
    inline = bool(keyboard.get("inline"))
    max_rows, max_buttons = (6, 10) if inline else (10, 40)
    if len(rows) > max_rows or sum(len(r) for r in rows) > max_buttons:
        return f"too many buttons ({len(rows)} rows)"
    if inline and "one_time" in keyboard and keyboard["one_time"]:
        return "one_time is not allowed in an inline keyboard"
    for row in rows:
        if len(row) > 5:
            return "more than 5 buttons in a row"
        for button in row:
            action = button.get("action", {})
            if len(action.get("label", "")) > 40:
                return "label is over 40 characters"
            if len(action.get("payload", "")) > 255:
                return "payload is over 255 characters"
            if action.get("type") == "location" and inline:
                return "location buttons are not allowed in inline keyboards"
    return ""


def parse_script(code: str) -> list[tuple[str, dict[str, str]]]:
    """The calls of ``return [API.a.b({…}),…];`` (the one form the bot writes), each call's
    arguments as the strings a form-encoded call would carry; ``ValueError`` for anything else."""
    code = code.strip()
    if not (code.startswith("return [") and code.endswith("];")):
        raise ValueError("not a return of a list")
    body, position, decoder, calls = code[len("return ["):-2], 0, json.JSONDecoder(), []
    while position < len(body):
        match = SCRIPT_CALL.match(body, position)
        if match is None:
            raise ValueError(f"no API call at {position}")
        values, end = decoder.raw_decode(body, match.end())
        if not isinstance(values, dict) or body[end:end + 1] != ")":
            raise ValueError("the arguments are not one object")
        calls.append((match.group(1), {key: _as_form(value) for key, value in values.items()}))
        position = end + 1
        if position < len(body):
            if body[position] != ",":
                raise ValueError(f"no comma at {position}")
            position += 1
    return calls


def _as_form(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _refusal(code: int, message: str) -> dict[str, Any]:
    return {"error": {"error_code": code, "error_msg": message, "request_params": []}}


def _error(code: int, message: str) -> web.Response:
    return web.json_response(_refusal(code, message))
