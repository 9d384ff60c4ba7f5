"""A picture of numbered zones and places, drawn once per set of zones and kept on disk.

Messengers cannot show a live map, so a map poll's voters get a picture: the zones and places,
each numbered as its button is, over the tiles of ``maps.tile_url`` (with their attribution, as
OpenStreetMap's licence asks), or on a plain background with a scale bar and a north arrow when
no tile server is configured or it fails. The picture and a GeoJSON of the same numbered zones
(the web chat draws those on its live map) are named by a hash of everything they are drawn
from (``image_name``): a handler finds them by that name without drawing, and a job draws what
is missing (handlers/map_polls.py), so a set of zones is drawn once, outside any resident's turn
(fetching tiles takes seconds; a resident's turn must not wait for them).
"""
from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import math
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from bot.geometry import Geometry, Point, Position
from bot.map_tiles import Tile, TilesUnavailable, fetch_tiles

log = logging.getLogger(__name__)

VERSION = 1            # of the drawing: a change to it draws every picture anew
FOLDER = "maps"        # under storage.attachments_dir, beside (never inside) the residents' files
TILE = 256
MARGIN = 0.12          # of the picture's width and height left around the zones
COLOURS = ((214, 39, 40), (31, 119, 180), (44, 160, 44), (148, 103, 189), (255, 127, 14), (140, 86, 75),
           (227, 119, 194), (23, 190, 207), (188, 189, 34), (127, 127, 127))
SCALES_M = (5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000)


@dataclass(frozen=True)
class Place:
    """One numbered zone or place: its number is its position in the list, from 1."""

    key: str
    payload: str        # what choosing it sends, as its button does
    geometry: Geometry


def image_name(places: list[Place], maps: Any) -> str:
    """``maps/<sha256>``: the picture is ``.png``, the numbered zones ``.geojson``. The hash covers
    the places in order (their numbers), their payloads and the drawing's settings: a change of
    any of them is a new picture, and nothing else is."""
    drawn_from = {"version": VERSION, "places": [[p.key, p.payload, p.geometry.model_dump()] for p in places],
                  "tiles": maps.tile_url, "attribution": maps.attribution,
                  "size": [maps.image_width, maps.image_height], "max_zoom": maps.max_zoom}
    return f"{FOLDER}/{hashlib.sha256(json.dumps(drawn_from, sort_keys=True).encode()).hexdigest()}"


# -- the projection (Web Mercator, as every tile server cuts its tiles) -------------------------

def world_pixel(position: Position, zoom: int) -> tuple[float, float]:
    longitude, latitude = position
    size = TILE * 2 ** zoom
    latitude = max(-85.0511, min(85.0511, latitude))
    x = (longitude + 180) / 360 * size
    y = (1 - math.asinh(math.tan(math.radians(latitude))) / math.pi) / 2 * size
    return x, y


@dataclass(frozen=True)
class View:
    zoom: int
    left: float   # world pixels of the picture's top-left corner
    top: float
    width: int
    height: int

    def pixel(self, position: Position) -> tuple[float, float]:
        x, y = world_pixel(position, self.zoom)
        return x - self.left, y - self.top

    def tiles(self) -> list[Tile]:
        last = 2 ** self.zoom - 1
        xs = range(max(0, int(self.left // TILE)), min(last, int((self.left + self.width) // TILE)) + 1)
        ys = range(max(0, int(self.top // TILE)), min(last, int((self.top + self.height) // TILE)) + 1)
        return [(self.zoom, x, y) for x in xs for y in ys]

    def metres_per_pixel(self, latitude: float) -> float:
        return 156_543.033_92 * math.cos(math.radians(latitude)) / 2 ** self.zoom


def view_of(places: list[Place], width: int, height: int, max_zoom: int) -> View:
    """The closest zoom at which every zone fits inside the margins, centred on them."""
    positions = [p for place in places for p in place.geometry.positions()]
    zoom = max_zoom
    while zoom > 1:
        xs, ys = zip(*(world_pixel(p, zoom) for p in positions))
        if max(xs) - min(xs) <= width * (1 - 2 * MARGIN) and max(ys) - min(ys) <= height * (1 - 2 * MARGIN):
            break
        zoom -= 1
    xs, ys = zip(*(world_pixel(p, zoom) for p in positions))
    centre_x, centre_y = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    return View(zoom, centre_x - width / 2, centre_y - height / 2, width, height)


# -- drawing ---------------------------------------------------------------------------------

def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def draw(places: list[Place], view: View, tiles: dict[Tile, Image.Image] | None, attribution: str) -> bytes:
    """The PNG: tiles (or the schematic's background), the zones, their numbers, scale and north."""
    picture = Image.new("RGBA", (view.width, view.height), (238, 234, 226, 255))
    if tiles:
        for (_, column, row), tile in tiles.items():
            picture.paste(tile.resize((TILE, TILE)), (round(column * TILE - view.left), round(row * TILE - view.top)))
    else:
        _grid(picture, view)
    overlay = Image.new("RGBA", picture.size, (0, 0, 0, 0))
    pen = ImageDraw.Draw(overlay)
    for index, place in enumerate(places):
        colour = COLOURS[index % len(COLOURS)]
        geometry = place.geometry
        if isinstance(geometry, Point):
            x, y = view.pixel(geometry.coordinates)
            pen.ellipse((x - 9, y - 9, x + 9, y + 9), fill=(*colour, 255), outline=(255, 255, 255, 255), width=3)
        else:
            corners = [view.pixel(p) for p in geometry.ring]
            pen.polygon(corners, fill=(*colour, 80))
            pen.line(corners, fill=(*colour, 255), width=4, joint="curve")
    picture.alpha_composite(overlay)
    pen = ImageDraw.Draw(picture)
    for number, place in enumerate(places, 1):
        x, y = view.pixel(place.geometry.label_at())
        if isinstance(place.geometry, Point):
            y -= 26  # the badge above the place, the place itself stays visible
        _badge(pen, x, y, str(number), COLOURS[(number - 1) % len(COLOURS)])
    positions = [p for place in places for p in place.geometry.positions()]
    latitude = sum(p[1] for p in positions) / len(positions)
    _scale(pen, view, latitude)
    _north(pen, view)
    if tiles and attribution:
        _attribution(pen, view, attribution)
    out = io.BytesIO()
    picture.convert("RGB").save(out, "PNG", optimize=True)
    return out.getvalue()


def _grid(picture: Image.Image, view: View) -> None:
    pen = ImageDraw.Draw(picture)
    step = TILE // 2
    for x in range(-int(view.left % step), view.width, step):
        pen.line((x, 0, x, view.height), fill=(222, 217, 207), width=1)
    for y in range(-int(view.top % step), view.height, step):
        pen.line((0, y, view.width, y), fill=(222, 217, 207), width=1)


def _badge(pen: ImageDraw.ImageDraw, x: float, y: float, text: str, colour: tuple[int, int, int]) -> None:
    radius = 17
    pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(255, 255, 255), outline=colour, width=4)
    pen.text((x, y), text, fill=(17, 17, 17), font=font(22), anchor="mm")


def _scale(pen: ImageDraw.ImageDraw, view: View, latitude: float) -> None:
    per_pixel = view.metres_per_pixel(latitude)
    metres = max((m for m in SCALES_M if m / per_pixel <= view.width / 4), default=SCALES_M[0])
    length = metres / per_pixel
    x, y = 16, view.height - 22
    pen.rectangle((x - 6, y - 26, x + length + 6, y + 10), fill=(255, 255, 255))
    pen.line((x, y, x + length, y), fill=(17, 17, 17), width=4)
    pen.line((x, y - 8, x, y + 4), fill=(17, 17, 17), width=3)
    pen.line((x + length, y - 8, x + length, y + 4), fill=(17, 17, 17), width=3)
    label = f"{metres // 1000} km" if metres >= 1000 else f"{metres} m"
    pen.text((x + length / 2, y - 6), label, fill=(17, 17, 17), font=font(16), anchor="mb")


def _north(pen: ImageDraw.ImageDraw, view: View) -> None:
    x, y = view.width - 30, 20
    pen.ellipse((x - 20, y - 8, x + 20, y + 48), fill=(255, 255, 255))
    pen.polygon(((x, y), (x - 10, y + 24), (x + 10, y + 24)), fill=(17, 17, 17))
    pen.text((x, y + 42), "N", fill=(17, 17, 17), font=font(16), anchor="mb")


def _attribution(pen: ImageDraw.ImageDraw, view: View, attribution: str) -> None:
    small = font(13)
    left, top, right, bottom = pen.textbbox((0, 0), attribution, font=small)
    width, height = right - left + 10, bottom - top + 8
    corner = (view.width - width, view.height - height)
    pen.rectangle((*corner, view.width, view.height), fill=(255, 255, 255))
    pen.text((corner[0] + 5, corner[1] + 4 - top), attribution, fill=(51, 51, 51), font=small)


def zones(places: list[Place]) -> dict[str, Any]:
    """The numbered zones as GeoJSON, for the web chat's map: a tap on a zone is its button's payload."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": place.geometry.model_dump(),
         "properties": {"number": number, "key": place.key, "payload": place.payload}}
        for number, place in enumerate(places, 1)]}


# -- the files -------------------------------------------------------------------------------

class MapPictures:
    """Draws the pictures that are missing and counts how many it drew (``drawn``)."""

    def __init__(self, folder: Path, maps: Any) -> None:
        self.folder = Path(folder)
        self.maps = maps
        self.drawn = 0

    async def ensure(self, places: list[Place], what: str) -> bool:
        """Draw the picture of these places unless it is there; True when it was drawn now.
        ``what`` names them in the log (a poll's key)."""
        name = image_name(places, self.maps)
        if not places or (self.folder / f"{name}.png").is_file():
            return False
        view = view_of(places, self.maps.image_width, self.maps.image_height, self.maps.max_zoom)
        tiles = None
        if self.maps.tile_url:
            cache = self.folder / FOLDER / "tiles" / hashlib.sha256(self.maps.tile_url.encode()).hexdigest()[:16]
            try:
                tiles = await fetch_tiles(self.maps.tile_url, view.tiles(), cache, self.maps.tile_timeout_seconds,
                                          self.maps.user_agent)
            except TilesUnavailable as error:
                log.warning("карта %s: тайлы не получены (%s), рисую схему без подложки", what, error)
        png = await asyncio.to_thread(draw, places, view, tiles, self.maps.attribution)
        _write(self.folder / f"{name}.geojson", json.dumps(zones(places), ensure_ascii=False).encode())
        _write(self.folder / f"{name}.png", png)  # last: its presence says both are there
        self.drawn += 1
        log.info("карта %s нарисована (%s)", what, "по тайлам" if tiles else "схема")
        return True


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{uuid.uuid4().hex}.part")
    temporary.write_bytes(data)
    os.replace(temporary, path)

