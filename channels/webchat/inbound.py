"""How a browser's messages reach the core: the web chat's JSON API, documented in the README
(the page itself: ``channels.webchat.page``). ``receive`` hands one message to the core and
answers with its replies.

``POST /api/webchat/messages`` turns one request into one event, which the core stores and
processes before the HTTP answer (so the answer is the acknowledgement); the answer carries
the replies, and where the resident stands (``step``: their language, whether their step takes
photos), so that the page speaks their language and offers a photo button where one is asked. A client that did not
get the answer may send the same ``id`` again: the event is recognised and the same replies are returned, nothing is
processed twice. When not even a failure could be written (the database refused every write), nothing is stored and
the answer is 503 ``not_processed`` with the plain reason, so the page shows it and the message may be sent again.

The session token travels in the ``X-Session`` header (a POST may carry it in its body instead,
``session``); a GET never takes it from the query string, which proxies and logs keep. What one
session and one address may send is limited (``Throttle``, ``LongPolls``): over a limit the
answer is 429 with ``Retry-After`` and a reason in the resident's language, which the page shows.
A photo is not written here: it is staged in memory and handed to the core, whose photo gate
stores it only for a consenting resident at a step that asks for one.
"""
from __future__ import annotations

import json
import logging
import math
from functools import lru_cache
from typing import Any, Protocol

import orjson
from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from bot.addresses import Address, client_address, limit_key, networks, parse_address, within
from bot.config import Settings
from bot.core.channel import Inbound
from bot.core.events import Event, Photo, ResidentRef
from bot.core.replies import Reply
from bot.numbers import INT64_MAX, whole_number
from channels.body import BodyRefused, read_body
from channels.webchat.longpolls import LongPolls
from channels.webchat.parse import SESSION_HEADER, BadRequest, parse, photo_event, session as parse_session
from channels.webchat.render import render, step
from channels.webchat.sessions import session_ref
from channels.webchat.staging import NoRoom, StagedUploads
from channels.webchat.throttle import Refusal, Throttle

log = logging.getLogger(__name__)

_WHAT = {"messages": "сообщений", "uploads": "байт фото"}
_WHO = {"session": "сеанса", "address": "адреса"}
FORM_OVERHEAD = 64 * 1024  # the form's other fields and boundaries around the photo
FORM_FIELDS = ("session", "id", "language")


async def receive(core: Inbound, event: Event) -> web.Response:
    """One message to the core, answered in the same request: stored and processed
    (``core.handle``), its replies and where the resident stands are the answer."""
    handled = await core.handle(event)
    if handled.not_processed is not None:  # nothing was stored: the same message may come again
        return web.json_response({"error": "not_processed", "reason": handled.not_processed.text},
                                 status=503, headers={"Retry-After": "1"})
    return web.json_response({"replies": [render(o.reply, o.id) for o in handled.replies],
                              "duplicate": handled.duplicate,
                              "step": step(handled.step or await core.step_of(event.ref))}, dumps=_json)


def _json(value: Any) -> str:
    """An answer's JSON: orjson, several times faster than ``json.dumps`` on every message."""
    return orjson.dumps(value).decode()


class ChatChannel(Protocol):
    """What the API uses of the web chat channel (``channels.webchat.channel``, which mounts the
    API): its settings, the photos staged in memory, the open long polls, the replies waiting."""

    settings: Settings
    uploads: StagedUploads
    long_polls: LongPolls

    async def wait_for_replies(self, ref: ResidentRef, after: int, timeout: float) -> list: ...


class WebChatApi:
    def __init__(self, channel: ChatChannel, core: Inbound) -> None:
        self.channel = channel
        self.core = core
        self.settings = channel.settings
        webchat = self.settings.webchat
        self.proxies = networks(self.settings.server.trusted_proxies)
        self.throttle = Throttle(webchat)
        self.long_polls = channel.long_polls
        self._unbelieved_proxies: set[str] = set()

    def register(self, app: web.Application) -> None:
        app.router.add_post("/api/webchat/messages", self.post_message)
        app.router.add_get("/api/webchat/messages", self.get_messages)

    # -- the API -------------------------------------------------------------------------------

    async def post_message(self, request: web.Request) -> web.Response:
        address = self._address(request)
        try:
            if refused := self.throttle.address_may_send(address):
                raise self._rate_limited(request, refused)
            if request.content_type.startswith("multipart/"):
                return await self._post_photo(request, address)
            event = await self._json_event(request)
            if refused := self.throttle.message(event.ref.external_id, address):
                raise self._rate_limited(request, refused, event.language_hint)
        except BadRequest as problem:
            return _error(problem)
        return await receive(self.core, event)

    async def _post_photo(self, request: web.Request, address: str) -> web.Response:
        largest = self.settings.proposals.max_photo_bytes + FORM_OVERHEAD
        declared = min(request.content_length or largest, largest)
        if refused := self.throttle.address_may_upload(address, declared - FORM_OVERHEAD):
            raise self._rate_limited(request, refused)
        try:
            with self.channel.uploads.room(declared):
                event, photo = await self._photo_event(request)
                refused = (self.throttle.message(event.ref.external_id, address)
                           or self.throttle.upload(event.ref.external_id, address, len(photo)))
                if refused:
                    raise self._rate_limited(request, refused, event.language_hint)
                with self.channel.uploads.staged(photo) as staged_id:
                    staged = Photo(remote_id=staged_id, mime_type=event.photos[0].mime_type, size=len(photo))
                    return await receive(self.core, event.model_copy(update={"photos": (staged,)}))
        except NoRoom:
            log.warning("веб-чат: ответ 429 — принимается слишком много фото сразу (webchat.uploads_in_memory_mb)")
            raise BadRequest("busy", self._say(request, "busy"), 429, retry_after=60) from None

    async def get_messages(self, request: web.Request) -> web.Response:
        try:
            if "session" in request.query:
                raise BadRequest("bad_session", f"send the session in the {SESSION_HEADER} header, not in the address")
            session = parse_session(request.headers.get(SESSION_HEADER))
            after = _int(request.query.get("after", "0"), "after")
            limit = self.settings.webchat.poll_timeout_seconds
            timeout = min(float(_int(request.query.get("timeout", str(int(limit))), "timeout")), limit)
        except BadRequest as problem:
            return _error(problem)
        ref = session_ref(session)
        if timeout == 0:  # a look, not a wait: it holds nothing open
            return await self._replies(ref, await self.channel.wait_for_replies(ref, after, 0))
        address = self._address(request)
        if not self.long_polls.enter(ref.external_id, address):
            log.warning("веб-чат: ответ 429 — слишком много ожидающих запросов (webchat.long_polls_*)")
            response = _error(BadRequest("rate_limited", self._say(request, "too_many_polls"), 429,
                                         retry_after=math.ceil(limit)))
            response.force_close()  # the connection is not kept either: it is a file held open
            return response
        try:
            rows = await self.channel.wait_for_replies(ref, after, timeout)
        finally:
            self.long_polls.leave(ref.external_id, address)
        return await self._replies(ref, rows)

    async def _replies(self, ref: ResidentRef, rows: list) -> web.Response:
        """Replies read from the outbox; with them (when there are any) where the resident stands."""
        body: dict[str, Any] = {"replies": [render(Reply.model_validate_json(r.payload), r.id) for r in rows]}
        if rows:
            body["step"] = step(await self.core.step_of(ref))
        return web.json_response(body, dumps=_json)

    # -- who and in which language ------------------------------------------------------------

    def _address(self, request: web.Request) -> str:
        """The key the per-address limits count this request under."""
        if "X-Forwarded-For" not in request.headers:
            return _key_of(request.remote)  # every request pays for this: parsed once per address
        self._note_unbelieved_proxy(parse_address(request.remote))
        return limit_key(client_address(request, self.proxies))

    def _note_unbelieved_proxy(self, connection: Address | None) -> None:
        """A proxy the settings do not name makes every resident behind it one address: say so
        once per such address (at most 16, whatever a caller writes in the header)."""
        if (connection is None or within(connection, self.proxies) or len(self._unbelieved_proxies) >= 16
                or str(connection) in self._unbelieved_proxies):
            return
        self._unbelieved_proxies.add(str(connection))
        log.warning("веб-чат: запросы с %s несут X-Forwarded-For, но этого адреса нет в server.trusted_proxies; "
                    "если это ваш обратный прокси, добавьте его туда, иначе все жители за ним считаются одним "
                    "адресом для ограничений", connection)

    def _say(self, request: web.Request, key: str, hint: str = "", **fields: Any) -> str:
        texts = self.core.texts
        wanted = hint or request.headers.get("Accept-Language", "")[:2].lower()
        return texts.get(texts.resolve(wanted or texts.default), f"webchat.{key}", **fields)

    def _rate_limited(self, request: web.Request, refused: Refusal, hint: str = "") -> BadRequest:
        log.warning("веб-чат: ответ 429 — слишком много %s с одного %s", _WHAT[refused.what], _WHO[refused.who])
        if refused.what == "uploads":
            reason = self._say(request, "too_many_uploads", hint, minutes=math.ceil(refused.retry_after / 60))
        else:
            reason = self._say(request, "too_many_messages", hint, seconds=refused.retry_after)
        return BadRequest("rate_limited", reason, 429, retry_after=refused.retry_after)

    # -- parsing -------------------------------------------------------------------------------

    async def _json_event(self, request: web.Request) -> Event:
        try:
            body = await read_body(request, self.settings.webchat.max_json_bytes)
        except BodyRefused as refused:
            raise BadRequest(refused.error, refused.reason, refused.status) from None
        try:
            data = json.loads(body)
        except ValueError as error:  # not UTF-8, not JSON, or a number of over 4,300 digits
            raise BadRequest("malformed_json", f"the body is not valid JSON: {error}") from None
        return parse(data, request.headers.get(SESSION_HEADER))

    async def _photo_event(self, request: web.Request) -> tuple[Event, bytes]:
        """The form's fields and its photo, read in pieces so that no more than the photo limit is
        ever held; the event names the photo's type but not yet where it is (``_post_photo`` does)."""
        fields: dict[str, Any] = {}
        photo: bytes | None = None
        limit = self.settings.proposals.max_photo_bytes
        try:
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    raise BadRequest("malformed_form", "a form inside the form is not accepted")
                if part.name == "photo":
                    if photo is not None:
                        raise BadRequest("bad_photo", "send one photo per request")
                    photo = await _read_part(part, limit)
                elif part.name in FORM_FIELDS and part.name not in fields:
                    fields[part.name] = (await _read_part(part, 1024)).decode("utf-8", "replace")[:200]
                else:  # refused at once rather than read and thrown away, however long it is
                    raise BadRequest("malformed_form", f"the form may hold photo, {', '.join(FORM_FIELDS)}, "
                                                       "each once")
        except (ValueError, AssertionError, HttpProcessingError) as error:  # the last: a part's bad headers
            raise BadRequest("malformed_form", f"the multipart form could not be read: {error}") from None
        if photo is None:
            raise BadRequest("bad_photo", "the form has no 'photo' file")
        return photo_event(fields, request.headers.get(SESSION_HEADER), photo), photo


@lru_cache(maxsize=65_536)
def _key_of(remote: str | None) -> str:
    return limit_key(parse_address(remote))


async def _read_part(part: BodyPartReader, limit: int) -> bytes:
    """A form part's bytes, refused as soon as they pass ``limit`` (``part.read()`` has no limit)."""
    data = bytearray()
    while chunk := await part.read_chunk(64 * 1024):
        data += chunk
        if len(data) > limit:
            raise BadRequest("too_large", f"the {part.name or 'form'} field is over {limit} bytes", 413)
    return bytes(data)


def _int(value: str, name: str, maximum: int = INT64_MAX) -> int:
    """A whole number from 0 to ``maximum`` written in plain digits (no sign, spaces or '_')."""
    number = whole_number(value, maximum)
    if number is None:
        raise BadRequest("bad_parameter", f"{name} must be a whole number from 0 to {maximum}")
    return number


def _error(problem: BadRequest) -> web.Response:
    body: dict[str, Any] = {"error": problem.error, "reason": problem.reason}
    headers = {}
    if problem.retry_after is not None:
        body["retry_after"] = problem.retry_after
        headers["Retry-After"] = str(problem.retry_after)
    return web.json_response(body, status=problem.status, headers=headers)
