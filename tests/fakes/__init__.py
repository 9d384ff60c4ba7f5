"""Fakes of the platforms, each a small aiohttp server on loopback speaking its wire format."""
from __future__ import annotations

import asyncio

from aiohttp import web

PIECE = 16 * 1024


async def in_pieces(request: web.Request, data: bytes, content_type: str) -> web.StreamResponse:
    """A file as a slow mobile network delivers it: in pieces, with pauses, so that a reader who
    takes only what has arrived so far gets a cut file."""
    response = web.StreamResponse(headers={"Content-Type": content_type})
    response.content_length = len(data)
    await response.prepare(request)
    for start in range(0, len(data), PIECE):
        if start:
            await asyncio.sleep(0.005)
        await response.write(data[start:start + PIECE])
    await response.write_eof()
    return response
