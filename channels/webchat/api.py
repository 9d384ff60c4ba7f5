"""HTTP side of the web chat: the page, and the JSON API documented in the README.

``POST /api/webchat/messages`` turns one request into one event, which the core stores and
processes before the HTTP answer (so the answer is the acknowledgement); the answer carries
the replies. A client that did not get the answer may send the same ``id`` again: the event is
recognised and the same replies are returned, nothing is processed twice.
"""
from __future__ import annotations

import json
import logging
import math
import re
import uuid
from functools import cache
from importlib import resources
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from bot.channel import Inbound
from bot.events import Event, Kind, Location, Photo, ResidentRef, text_event
from bot.payloads import MAX_PAYLOAD_BYTES
from bot.replies import Reply
from channels.webchat.channel import SESSION, WebChatChannel, session_ref
from storage.attachments import NotAnImage

log = logging.getLogger(__name__)

CLIENT_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
LANGUAGE = re.compile(r"^[a-z]{2}$")


class BadRequest(Exception):
    def __init__(self, error: str, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.error, self.reason, self.status = error, reason, status


def reply_json(message_id: int, reply: Reply) -> dict[str, Any]:
    def button(b) -> dict[str, str]:
        shown = {"label": b.label}
        for field in ("payload", "url", "request"):
            if getattr(b, field):
                shown[field] = getattr(b, field)
        return shown
    return {"id": message_id, "text": reply.text,
            "buttons": [[button(b) for b in row] for row in reply.buttons],
            "menu": [[button(b) for b in row] for row in reply.menu],
            "media": [m.model_dump() for m in reply.media]}


class WebChatApi:
    def __init__(self, channel: WebChatChannel, core: Inbound) -> None:
        self.channel = channel
        self.core = core
        self.settings = channel.settings

    def register(self, app: web.Application) -> None:
        app.router.add_get("/chat", self.page)
        app.router.add_get("/chat/{asset:chat\\.(js|css)}", self.asset)
        app.router.add_post("/api/webchat/messages", self.post_message)
        app.router.add_get("/api/webchat/messages", self.get_messages)

    # -- the page ------------------------------------------------------------------------------

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(text=_static("chat.html"), content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-cache"})

    async def asset(self, request: web.Request) -> web.Response:
        name = request.match_info["asset"]
        kind = "application/javascript" if name.endswith(".js") else "text/css"
        return web.Response(text=_static(name), content_type=kind, charset="utf-8",
                            headers={"Cache-Control": "no-cache"})

    # -- the API -------------------------------------------------------------------------------

    async def post_message(self, request: web.Request) -> web.Response:
        try:
            if request.content_type.startswith("multipart/"):
                event = await self._photo_event(request)
            else:
                event = await self._json_event(request)
        except BadRequest as problem:
            return _error(problem)
        handled = await self.core.handle(event)
        return web.json_response({"replies": [reply_json(o.id, o.reply) for o in handled.replies],
                                  "duplicate": handled.duplicate})

    async def get_messages(self, request: web.Request) -> web.Response:
        try:
            session = _session(request.query.get("session"))
            after = _int(request.query.get("after", "0"), "after", minimum=0)
            limit = self.settings.webchat.poll_timeout_seconds
            # Compared before converting: a whole number past float's range is simply "the limit".
            timeout = float(min(_int(request.query.get("timeout", str(int(limit))), "timeout", 0), limit))
        except BadRequest as problem:
            return _error(problem)
        rows = await self.channel.wait_for_replies(session_ref(session), after, timeout)
        return web.json_response(
            {"replies": [reply_json(r.id, Reply.model_validate_json(r.payload)) for r in rows]})

    # -- parsing -------------------------------------------------------------------------------

    async def _json_event(self, request: web.Request) -> Event:
        limit = self.settings.webchat.max_json_bytes
        if request.content_length is not None and request.content_length > limit:
            raise BadRequest("too_large", f"the body is over {limit} bytes", 413)
        body = bytearray()
        async for chunk in request.content.iter_any():
            body += chunk
            if len(body) > limit:
                raise BadRequest("too_large", f"the body is over {limit} bytes", 413)
        try:
            data = json.loads(body)
        except ValueError as error:  # not UTF-8, not JSON, or a number of over 4,300 digits
            raise BadRequest("malformed_json", f"the body is not valid JSON: {error}") from None
        if not isinstance(data, dict):
            raise BadRequest("malformed_json", "the body must be a JSON object")
        ref, update_id, extra = self._common(data)
        given = [key for key in ("text", "button", "location") if key in data]
        if len(given) != 1:
            raise BadRequest("bad_message", "send exactly one of: text, button, location")
        match given[0]:
            case "text":
                text = data["text"]
                if not isinstance(text, str):
                    raise BadRequest("bad_text", "text must be a string")
                if not text.strip():
                    raise BadRequest("empty_text", "text is empty")
                return text_event(ref, update_id, text, **extra)
            case "button":
                payload = data["button"]
                if not isinstance(payload, str) or not payload or len(payload.encode()) > MAX_PAYLOAD_BYTES:
                    raise BadRequest("bad_button", f"button must be a string of 1 to {MAX_PAYLOAD_BYTES} bytes")
                return Event(ref=ref, update_id=update_id, kind=Kind.BUTTON, payload=payload, **extra)
            case _:
                return Event(ref=ref, update_id=update_id, kind=Kind.LOCATION,
                             location=_location(data["location"]), **extra)

    async def _photo_event(self, request: web.Request) -> Event:
        fields: dict[str, Any] = {}
        photo: bytes | None = None
        limit = self.settings.proposals.max_photo_bytes
        try:
            reader = await request.multipart()
            async for part in reader:
                if part.name == "photo":
                    if photo is not None:
                        raise BadRequest("bad_photo", "send one photo per request")
                    photo = await part.read(decode=False)
                    if len(photo) > limit:
                        raise BadRequest("too_large", f"the photo is over {limit} bytes", 413)
                elif part.name in ("session", "id", "language"):
                    # As sent: a form's transfer encoding or charset is nothing a browser uses here.
                    fields[part.name] = (await part.read(decode=False)).decode()[:200]
        except (ValueError, AssertionError, HttpProcessingError) as error:  # the last: a part's bad headers
            raise BadRequest("malformed_form", f"the multipart form could not be read: {error}") from None
        if photo is None:
            raise BadRequest("bad_photo", "the form has no 'photo' file")
        ref, update_id, extra = self._common(fields)
        try:
            key, mime = await self.channel.attachments.put_image(photo)
        except NotAnImage as error:
            raise BadRequest("not_an_image", str(error), 415) from None
        return Event(ref=ref, update_id=update_id, kind=Kind.PHOTOS,
                     photos=(Photo(file_key=key, mime_type=mime, size=len(photo)),), **extra)

    def _common(self, data: dict[str, Any]) -> tuple[ResidentRef, str, dict[str, Any]]:
        session = _session(data.get("session"))
        ref = session_ref(session)
        client_id = data.get("id")
        if client_id is None:
            client_id = uuid.uuid4().hex
        elif not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
            raise BadRequest("bad_id", "id must be 1 to 64 letters, digits, '-' or '_'")
        language = data.get("language")
        extra = {"language_hint": language} if isinstance(language, str) and LANGUAGE.match(language) else {}
        # Client ids are only unique per browser: the session's hash makes them unique per channel.
        return ref, f"{ref.external_id[:32]}:{client_id}", extra


def _session(value: Any) -> str:
    if not isinstance(value, str) or not SESSION.match(value):
        raise BadRequest("bad_session", "session must be 32 to 128 lower-case hex characters (128+ random bits)")
    return value


def _int(value: str, name: str, minimum: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadRequest("bad_parameter", f"{name} must be a whole number") from None
    if number < minimum:
        raise BadRequest("bad_parameter", f"{name} must be at least {minimum}")
    return number


def _location(value: Any) -> Location:
    if not isinstance(value, dict):
        raise BadRequest("bad_location", "location must be an object with latitude and longitude")
    latitude, longitude = value.get("latitude"), value.get("longitude")
    for number in (latitude, longitude):
        if isinstance(number, bool) or not isinstance(number, (int, float)) \
                or isinstance(number, float) and not math.isfinite(number):  # an int may be too big for a float
            raise BadRequest("bad_location", "latitude and longitude must be numbers")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise BadRequest("bad_location", "latitude must be within ±90 and longitude within ±180")
    return Location(latitude=latitude, longitude=longitude)


def _error(problem: BadRequest) -> web.Response:
    return web.json_response({"error": problem.error, "reason": problem.reason}, status=problem.status)


@cache
def _static(name: str) -> str:
    return (resources.files("channels.webchat") / "static" / name).read_text(encoding="utf-8")
