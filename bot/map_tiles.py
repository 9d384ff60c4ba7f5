"""Map tiles from the configured tile server (``maps.tile_url``), kept on disk once fetched.

A picture of a map poll needs a dozen tiles once; the disk copy spares the tile server (whose
usage policy, OpenStreetMap's included, asks for caching and a telling User-Agent). A tile that
does not come within ``maps.tile_timeout_seconds``, or is not a picture, fails the whole set:
the caller draws the plain schematic instead, never a map with holes.
"""
from __future__ import annotations

import asyncio
import io
import logging
import os
import uuid
from pathlib import Path

import aiohttp
from PIL import Image

log = logging.getLogger(__name__)

Tile = tuple[int, int, int]  # zoom, x, y


class TilesUnavailable(Exception):
    """Some tile could not be had: the tile server is down, slow or answered something else."""


def tile_address(template: str, tile: Tile) -> str:
    zoom, x, y = tile
    return template.replace("{s}", "a").replace("{z}", str(zoom)).replace("{x}", str(x)).replace("{y}", str(y))


async def fetch_tiles(template: str, tiles: list[Tile], cache: Path, timeout: float,
                      user_agent: str) -> dict[Tile, Image.Image]:
    """Every tile as a picture, from the disk cache or the server; ``TilesUnavailable`` if one fails."""
    missing = [tile for tile in tiles if not _cached(cache, tile).is_file()]
    if missing:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout),
                                         headers={"User-Agent": user_agent}) as session:
            results = await asyncio.gather(*(_fetch(session, template, tile, cache) for tile in missing),
                                           return_exceptions=True)
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            raise TilesUnavailable(f"{len(failed)} из {len(missing)} тайлов не получены: {failed[0]!r}")
    return {tile: _open(_cached(cache, tile).read_bytes()) for tile in tiles}


async def _fetch(session: aiohttp.ClientSession, template: str, tile: Tile, cache: Path) -> None:
    async with session.get(tile_address(template, tile)) as response:
        if response.status != 200:
            raise TilesUnavailable(f"HTTP {response.status}")
        data = await response.read()
    _open(data)  # not a picture: refused before it is kept
    path = _cached(cache, tile)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{uuid.uuid4().hex}.part")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _open(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as error:  # Pillow raises many kinds for what is not a picture
        raise TilesUnavailable(f"не картинка: {error}") from None
    return image.convert("RGBA")


def _cached(cache: Path, tile: Tile) -> Path:
    zoom, x, y = tile
    return cache / str(zoom) / str(x) / f"{y}.png"
