"""QR codes and printable posters for a source ("poster_entrance_12"): every running channel's
deep link carries the source, so a resident who scans the poster is counted under it from their
first message («Присоединяйтесь» posters in 100+ entrances, as in the campaign).

Deep links per channel (as the platforms document them):
    Telegram  https://t.me/<bot>?start=<source>
    VK        https://vk.me/<group>?ref=<source>
    MAX       https://max.ru/<bot>?start=<source>
    web chat  <server.public_url>/chat?src=<source>
The bot and group names come from the ``posters`` settings; a running channel without its name
is listed as missing, so staff see why its link is absent rather than print a broken one.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from urllib.parse import quote

import segno
from aiohttp import web

from admin.roles import CONTENT, require
from bot.config import Settings

SOURCE = re.compile(r"\A[A-Za-z0-9_-]{1,64}\Z")  # Telegram's start parameter: the strictest platform
CHANNEL_TITLES = {"telegram": "Telegram", "vk": "ВКонтакте", "max": "MAX", "webchat": "Чат на сайте"}


@dataclass(frozen=True)
class PosterLink:
    channel: str
    title: str
    url: str       # "" when the channel runs but its bot or group name is not configured
    missing: str   # the setting to fill in when url is ""


def valid_source(source: str) -> bool:
    return bool(SOURCE.match(source))


def poster_links(settings: Settings, running: list[str], source: str) -> list[PosterLink]:
    """A link per running channel, in the order residents are most likely to use them."""
    if not valid_source(source):
        raise ValueError("источник: от 1 до 64 латинских букв, цифр, _ и -")
    names = {"telegram": settings.posters.telegram_bot, "vk": settings.posters.vk_group,
             "max": settings.posters.max_bot}
    patterns = {"telegram": "https://t.me/{name}?start={source}", "vk": "https://vk.me/{name}?ref={source}",
                "max": "https://max.ru/{name}?start={source}"}
    links = []
    for channel in ("vk", "max", "webchat", "telegram"):
        if channel not in running:
            continue
        title = CHANNEL_TITLES[channel]
        if channel == "webchat":
            url = f"{settings.server.public_url.rstrip('/')}/chat?src={quote(source)}"
            links.append(PosterLink(channel, title, url, ""))
        elif names[channel]:
            link = patterns[channel].format(name=quote(names[channel]), source=source)
            links.append(PosterLink(channel, title, link, ""))
        else:
            setting = {"telegram": "telegram_bot", "vk": "vk_group", "max": "max_bot"}[channel]
            links.append(PosterLink(channel, title, "", f"posters.{setting}"))
    return links


def qr_svg(url: str, scale: int = 6) -> bytes:
    """A standalone SVG file; error correction M survives a scuffed poster in a stairwell."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="svg", scale=scale, border=4,
                                                 xmldecl=True, title=url)
    return buffer.getvalue()


def qr_svg_inline(url: str, scale: int = 5) -> str:
    """The same code as an <svg> element to put inside the poster page."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="svg", scale=scale, border=2, xmldecl=False,
                                                 svgns=True, title=url, svgclass="qr", lineclass=None)
    return buffer.getvalue().decode("utf-8")


def qr_png(url: str, scale: int = 10) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


# -- pages ---------------------------------------------------------------------------------------

routes = web.RouteTableDef()


def _links(request: web.Request, source: str) -> list[PosterLink]:
    from admin.app import panel

    p = panel(request)
    if not valid_source(source):
        raise web.HTTPBadRequest(text="источник: от 1 до 64 латинских букв, цифр, _ и -")
    return poster_links(p.settings, sorted(p.dispatcher.channels), source)


@routes.get("/posters")
@require(CONTENT)
async def posters_page(request: web.Request) -> web.StreamResponse:
    from admin.app import render

    source = request.query.get("source", "").strip()
    if source:
        if valid_source(source):
            raise web.HTTPFound(f"/admin/posters/{source}")
        return render(request, "posters_index.html", source=source, error=True)
    return render(request, "posters_index.html", source="", error=False)


@routes.get("/posters/{source}")
@require(CONTENT)
async def poster(request: web.Request) -> web.StreamResponse:
    from admin.app import panel, render

    source = request.match_info["source"]
    links = _links(request, source)
    codes = {link.channel: qr_svg_inline(link.url) for link in links if link.url}
    return render(request, "posters_poster.html", source=source, links=links, codes=codes,
                  name=panel(request).settings.project.name.get("ru", ""))


@routes.get("/posters/{source}/{channel}.{kind:(svg|png)}")
@require(CONTENT)
async def qr_file(request: web.Request) -> web.StreamResponse:
    source, channel, kind = (request.match_info[k] for k in ("source", "channel", "kind"))
    link = next((item for item in _links(request, source) if item.channel == channel and item.url), None)
    if link is None:
        raise web.HTTPNotFound(text="этот канал не запущен или для него не указано имя бота")
    body = qr_svg(link.url) if kind == "svg" else qr_png(link.url)
    return web.Response(body=body, content_type="image/svg+xml" if kind == "svg" else "image/png", headers={
        "Content-Disposition": f'attachment; filename="qr-{source}-{channel}.{kind}"'})
