"""A map poll's options as numbered places, their picture's name, and the job that draws it.

The picture is drawn by ``bot.map_pictures`` from the places in the options' order, each with
its button's payload (the web chat's map sends it when a zone is tapped); the handler only looks
whether the picture is there (``picture_key``), the ``map pictures`` job draws the missing ones.
"""
from __future__ import annotations

from typing import Any

from bot.core.payloads import encode
from bot.map_pictures import MapPictures, Place, image_name
from handlers.content_items import utc_now, validated
from handlers.polls_content import Poll
from storage.ports.content import ContentKind


def places(poll: Poll) -> list[Place]:
    return [Place(o.key, encode("vote", poll.key, o.key), o.geometry) for o in poll.options if o.geometry]


def picture_key(poll: Poll, maps: Any) -> str:
    """The attachment key of the poll's picture (what ``Media.file_key`` names)."""
    return image_name(places(poll), maps) + ".png"


async def draw_missing(db: Any, pictures: MapPictures) -> int:
    """The ``map pictures`` job: draw each map poll not yet closed that has no picture yet."""
    drawn, now = 0, utc_now()
    for definition in await db.reader.content.all(ContentKind.POLLS):
        poll = validated(Poll, definition)
        if poll.on_map and now < poll.closes and await pictures.ensure(places(poll), poll.key):
            drawn += 1
    return drawn
