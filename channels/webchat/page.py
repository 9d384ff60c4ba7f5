"""The chat page and what it loads: its script and style, its words, and the map library.

Everything the page needs comes from this server (the map's tiles excepted: they come from
``webchat.map_tiles_url``, the one other host the page's CSP names). Its words are not in the
script: ``/chat/page.json`` carries the ``webchat.page.*`` texts of every locale file, so a new
language is a new locale file and nothing else; the page picks the browser's first language we
speak, and follows the resident's own choice once the bot has one. The map is Leaflet, vendored
under ``static/vendor/leaflet`` from its npm package with its licence; a map poll's zones and
their picture are served from the files the bot drew (``/chat/maps/<hash>.geojson|png``).
"""
from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.config import Settings
from bot.core.channel import Inbound

TEXTS = "webchat.page."
MAPS = "maps"  # the map pictures' folder under storage.attachments_dir (bot/map_pictures.py FOLDER)
VENDOR = ("vendor", "leaflet")
KINDS = {".js": "application/javascript", ".css": "text/css", ".png": "image/png", "": "text/plain"}


class ChatPage:
    def __init__(self, settings: Settings, core: Inbound) -> None:
        self.settings = settings
        self.core = core
        self.headers = page_headers(settings.webchat.frame_ancestors, settings.webchat.map_tiles_origin)
        self.given = self._words_and_map()  # the locale files and settings are read once, at start

    def register(self, app: web.Application) -> None:
        app.router.add_get("/chat", self.page)
        app.router.add_get("/chat/page.json", self.words_and_map)
        app.router.add_get("/chat/{asset:(chat\\.js|chat\\.css|map\\.js)}", self.asset)
        app.router.add_get("/chat/vendor/leaflet/{name:.+}", self.vendored)
        app.router.add_get(r"/chat/maps/{name:[0-9a-f]{64}\.(?:png|geojson)}", self.map_file)

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(text=_text(("chat.html",)), content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-cache", **self.headers})

    async def asset(self, request: web.Request) -> web.Response:
        name = request.match_info["asset"]
        return web.Response(text=_text((name,)), content_type=_kind(name), charset="utf-8",
                            headers={"Cache-Control": "no-cache", **self.headers})

    async def vendored(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in _vendored():  # only the files shipped, never a path the request makes up
            raise web.HTTPNotFound()
        # The library changes only with the bot: a day in the browser's cache is safe.
        return web.Response(body=_bytes((*VENDOR, *name.split("/"))), content_type=_kind(name),
                            headers={"Cache-Control": "public, max-age=86400", **self.headers})

    async def map_file(self, request: web.Request) -> web.FileResponse:
        """A map poll's picture or its numbered zones (bot/map_pictures.py), named by the hash of
        what they are drawn from: a name never changes what it shows, so browsers keep it."""
        name = request.match_info["name"]
        path = Path(self.settings.storage.attachments_dir) / MAPS / name
        if not path.is_file():
            raise web.HTTPNotFound()
        kind = "image/png" if name.endswith(".png") else "application/geo+json"
        return web.FileResponse(path, headers={"Content-Type": kind, **self.headers,
                                               "Cache-Control": "public, max-age=31536000, immutable"})

    async def words_and_map(self, request: web.Request) -> web.Response:
        return web.json_response(self.given, headers={"Cache-Control": "no-cache", **self.headers})

    def _words_and_map(self) -> dict[str, Any]:
        texts = self.core.texts
        keys = sorted(key for key in texts.keys(texts.default) if key.startswith(TEXTS))
        webchat = self.settings.webchat
        shown_map = None
        if webchat.map_tiles_url:
            shown_map = {"tiles": webchat.map_tiles_url, "attribution": webchat.map_attribution,
                         "attribution_url": webchat.map_attribution_url, "centre": list(webchat.map_centre),
                         "zoom": webchat.map_zoom, "max_zoom": webchat.map_max_zoom}
        return {"default": texts.default,
                "texts": {language: {key[len(TEXTS):]: texts.get(language, key) for key in keys}
                          for language in texts.languages},
                "map": shown_map,
                "max_photo_bytes": self.settings.proposals.max_photo_bytes}


def page_headers(frame_ancestors: tuple[str, ...], tiles_origin: str = "") -> dict[str, str]:
    """The page runs only its own script and style (no inline code), talks only to this server,
    shows images from it and from the map's tile server alone, and may be framed only by the
    sites in ``webchat.frame_ancestors``. X-Frame-Options, for browsers without CSP, can only say
    "same site" or "nobody": with other sites allowed it is left out, since it would forbid them
    (browsers with CSP follow frame-ancestors anyway)."""
    images = " ".join(("img-src 'self' blob:", tiles_origin)).strip()
    headers = {
        "Content-Security-Policy": "; ".join((
            "default-src 'none'", "script-src 'self'", "style-src 'self'", images,
            "connect-src 'self'", "base-uri 'none'", "form-action 'none'",
            "frame-ancestors " + " ".join(frame_ancestors))),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    if frame_ancestors == ("'self'",):
        headers["X-Frame-Options"] = "SAMEORIGIN"
    elif frame_ancestors == ("'none'",):
        headers["X-Frame-Options"] = "DENY"
    return headers


def _kind(name: str) -> str:
    suffix = name[name.rfind("."):] if "." in name.rsplit("/", 1)[-1] else ""
    return KINDS.get(suffix, "application/octet-stream")


@cache
def _vendored() -> frozenset[str]:
    """The vendored files by their path under vendor/leaflet ("images/marker-icon.png")."""
    found: set[str] = set()
    folders = [(_static().joinpath(*VENDOR), "")]
    while folders:
        folder, prefix = folders.pop()
        for item in folder.iterdir():
            if item.is_dir():
                folders.append((item, f"{prefix}{item.name}/"))
            else:
                found.add(prefix + item.name)
    return frozenset(found)


def _static():
    return resources.files("channels.webchat") / "static"


@cache
def _text(parts: tuple[str, ...]) -> str:
    return _static().joinpath(*parts).read_text(encoding="utf-8")


@cache
def _bytes(parts: tuple[str, ...]) -> bytes:
    return _static().joinpath(*parts).read_bytes()
