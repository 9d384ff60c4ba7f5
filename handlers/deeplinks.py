"""Deep links that open something directly: a poster's QR code ``…?start=poll-park_name``
leads straight to the vote, ``…?start=join`` to «Присоединяйтесь». The link is the resident's
source too; when the resident has not consented yet, it is kept and followed right after the
consent (and the language, where it is asked)."""
from __future__ import annotations

from bot.core.payloads import Payload
from bot.core.routing import Context

PENDING = "then"


async def follow(ctx: Context, source: str) -> bool:
    """Open what ``source`` points at; False when it points at nothing we open."""
    kind, _, key = source.partition("-")
    if kind == "poll" and key:
        from handlers.polls import open_poll

        await open_poll(ctx, key)
        return True
    if kind == "join" and not key:
        from handlers.joining import open_joining

        await open_joining(ctx)
        return True
    return False


def remember(ctx: Context, source: str) -> None:
    if source.partition("-")[0] in ("poll", "join"):
        ctx.data[PENDING] = source


def target_of(payload: Payload) -> str:
    """The deep link that opens what a button opens (``poll:<key>`` → ``poll-<key>``), or ""."""
    if payload.namespace == "poll" and payload.arg(0):
        return f"poll-{payload.arg(0)}"
    return ""

