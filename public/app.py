"""The public page's routes on the bot's own server, no login:

    /public                      the page (?category=, ?status=, ?page=, ?lang=; works without JavaScript)
    /public/proposals.geojson    the open data, the same proposals and filters as GeoJSON
    /public/proposals.csv        … and as CSV for Excel
    /public/static/…             its style and script; /public/vendor/leaflet/… the map library

Each answer is built from the reader (committed data) only when its ETag (public/caching.py) is
not what the client holds. Every proposal shown passes ``storage.public.VISIBLE``; nothing read
here names an author.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from math import ceil
from typing import Any, Awaitable, Callable

import jinja2
from aiohttp import web

from bot.config import Settings
from bot.core.i18n import Texts
from public import caching, choices, feeds
from public.results import contest_result, poll_result, series, titled, zone_poll
from public.shown import FIELDS, Describer
from storage.clock import now as _now
from storage.ports.repositories import Database

ASSETS = {"public.css": "text/css", "public.js": "application/javascript"}
KINDS = {".js": "application/javascript", ".css": "text/css", ".png": "image/png"}
# The map library is the web chat's copy (Leaflet 1.9.4 with its licence, channels/webchat/static/
# vendor/leaflet/README.md): one vendored copy for both pages.
LEAFLET = ("channels.webchat", "static/vendor/leaflet")


@dataclass
class PublicSite:
    db: Database
    settings: Settings
    texts: Texts
    describer: Describer = field(init=False)
    templates: jinja2.Environment = field(init=False)
    headers: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.describer = Describer(self.settings, self.texts)
        self.templates = jinja2.Environment(
            loader=jinja2.PackageLoader("public", "templates"), autoescape=True, trim_blocks=True,
            lstrip_blocks=True, undefined=jinja2.StrictUndefined)
        webchat = self.settings.webchat
        self.headers = caching.frame_headers(self.settings.public.embed_origins,
                                             webchat.map_tiles_origin if webchat.map_tiles_url else "")

    def register(self, app: web.Application) -> None:
        app.router.add_get("/public", self.page)
        app.router.add_get("/public/", self.page)
        app.router.add_get("/public/proposals.geojson", self.geojson)
        app.router.add_get("/public/proposals.csv", self.csv)
        app.router.add_get("/public/static/{name}", self.asset)
        app.router.add_get("/public/vendor/leaflet/{name:.+}", self.vendored)

    # -- answers built only when the client lacks them --------------------------------------------

    async def _cached(self, request: web.Request, build: Callable[[choices.Query], Awaitable[web.Response]],
                      ) -> web.StreamResponse:
        categories = {category.key for category in self.settings.proposals.categories}
        query = choices.query(request, categories, self.texts.languages)
        revision = await self.db.reader.public.revision(_now())
        tag = caching.etag(revision, request, query.language)
        headers = {**caching.cache_headers(tag, self.settings.public.cache_seconds), **self.headers}
        if caching.not_modified(request, tag):
            return web.Response(status=304, headers=headers)
        response = await build(query)
        response.headers.update(headers)
        return response

    async def page(self, request: web.Request) -> web.StreamResponse:
        return await self._cached(request, self._page)

    async def geojson(self, request: web.Request) -> web.StreamResponse:
        async def build(query: choices.Query) -> web.Response:
            return web.Response(text=feeds.geojson(await self._rows(query)), content_type="application/geo+json",
                                charset="utf-8")
        return await self._cached(request, build)

    async def csv(self, request: web.Request) -> web.StreamResponse:
        async def build(query: choices.Query) -> web.Response:
            return web.Response(text=feeds.csv_text(await self._rows(query)), content_type="text/csv",
                                charset="utf-8",
                                headers={"Content-Disposition": 'attachment; filename="proposals.csv"'})
        return await self._cached(request, build)

    async def _rows(self, query: choices.Query) -> list[dict[str, Any]]:
        found, _ = await self.db.reader.public.proposals(query.filters, self.settings.public.feed_max_rows)
        return [self.describer.fields(proposal, query.language) for proposal in found]

    async def _page(self, query: choices.Query) -> web.Response:
        public, language = self.settings.public, query.language
        reader = self.db.reader.public
        listed, total = await reader.proposals(query.filters, public.page_size, (query.page - 1) * public.page_size)
        located, located_total = await reader.proposals(query.filters, public.map_max_points, 0, located_only=True)
        default = self.texts.default
        words = _Words(self.texts, language)
        webchat = self.settings.webchat
        zone_polls = [zone_poll(p, language, default) for p in await reader.map_polls(_now())]
        shown_map = None
        if webchat.map_tiles_url:
            # Compact, for a town's thousands: [number, latitude, longitude, category, status] by key,
            # the titles once each.
            shown_map = {"tiles": webchat.map_tiles_url, "attribution": webchat.map_attribution,
                         "attribution_url": webchat.map_attribution_url, "centre": list(webchat.map_centre),
                         "zoom": webchat.map_zoom, "max_zoom": webchat.map_max_zoom,
                         "label": words("map_label"),
                         "categories": {c.key: c.title_in(language, default)
                                        for c in self.settings.proposals.categories},
                         "statuses": {s: self.describer.status(s, language) for s in choices.SHOWN_STATUSES},
                         "points": [[self.describer.number(p.id), p.latitude, p.longitude, p.category, p.status]
                                    for p in located],
                         # The places of map polls, numbered as the bot numbers them.
                         "zones": [{"type": "Feature", "geometry": zone.geometry,
                                    "properties": {"label": f"{zone.number}. {zone.title}", "poll": poll.title}}
                                   for poll in zone_polls for zone in poll.zones]}
        html = self.templates.get_template("page.html").render(
            t=words, language=language, query=query, fields=FIELDS,
            languages=[(code, self.texts.get(code, "language_name")) for code in self.texts.languages],
            project=titled(self.settings.project.name, language, default),
            proposals=[self.describer.fields(p, language) for p in listed], total=total,
            pages=max(1, ceil(total / public.page_size)), located_total=located_total, shown_map=shown_map,
            categories=[(c.key, c.title_in(language, default)) for c in self.settings.proposals.categories],
            statuses=[(s, self.describer.status(s, language)) for s in choices.SHOWN_STATUSES],
            polls=[poll_result(p, language, default) for p in await reader.published_polls()],
            contests=[contest_result(c, language, default) for c in await reader.published_contests()],
            zone_polls=zone_polls,
            series=series(await reader.aired_episodes(_now()), language, default, self.describer.date),
            joined=await self.db.reader.volunteers.count_joined(),  # «Присоединяйтесь»: who offered to help
        )
        return web.Response(text=html, content_type="text/html", charset="utf-8",
                            headers={"Content-Language": language})

    # -- files --------------------------------------------------------------------------------------

    async def asset(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in ASSETS:
            raise web.HTTPNotFound()
        return web.Response(body=_file(("public", "static/" + name)), content_type=ASSETS[name],
                            headers={"Cache-Control": "no-cache", **self.headers})

    async def vendored(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in _vendored():  # only the files shipped, never a path the request makes up
            raise web.HTTPNotFound()
        # The library changes only with the bot: a day in the browser's cache is safe.
        return web.Response(body=_file((LEAFLET[0], f"{LEAFLET[1]}/{name}")),
                            content_type=KINDS.get(name[name.rfind("."):], "application/octet-stream"),
                            headers={"Cache-Control": "public, max-age=86400", **self.headers})


class _Words:
    """``t("key", count=3)`` in templates: the page's words (``public_page.*``) in one language."""

    def __init__(self, texts: Texts, language: str) -> None:
        self.texts, self.language = texts, language

    def __call__(self, key: str, **values: Any) -> str:
        return self.texts.get(self.language, f"public_page.{key}", **values)


@cache
def _file(where: tuple[str, str]) -> bytes:
    package, path = where
    return resources.files(package).joinpath(*path.split("/")).read_bytes()


@cache
def _vendored() -> frozenset[str]:
    """The vendored files by their path under vendor/leaflet ("images/marker-icon.png")."""
    found: set[str] = set()
    folders = [(resources.files(LEAFLET[0]).joinpath(*LEAFLET[1].split("/")), "")]
    while folders:
        folder, prefix = folders.pop()
        for item in folder.iterdir():
            if item.is_dir():
                folders.append((item, f"{prefix}{item.name}/"))
            else:
                found.add(prefix + item.name)
    return frozenset(found)


def setup_public(web_app: web.Application, db: Database, settings: Settings, texts: Texts) -> None:
    """Mount the public page on the bot's web app, unless ``public.enabled`` is false."""
    if settings.public.enabled:
        PublicSite(db, settings, texts).register(web_app)
