"""A fitted reply as the JSON body POSTed to the gateway (protocol version 1).

Buttons go as data (``label`` with ``payload``, ``url`` or ``request``) so that a gateway with
buttons of its own can show them, and every reply with buttons also carries ``fallback_text``,
the same reply with its buttons as numbered lines: a gateway that can only show text (an SMS
or a voice menu) sends that, and the resident's answer "2" is understood by the bot. Media from
the bot's own attachment store travel inside the body (base64), because the gateway cannot
reach the bot's disk; media with a public URL go as the URL.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from bot.core.rendering import button_fields
from bot.core.replies import Button, Media, Reply, degrade_to_text
from channels.gateway.protocol import VERSION

ReadFile = Callable[[str], bytes]


def rows(keyboard: tuple[tuple[Button, ...], ...]) -> list[list[dict[str, str]]]:
    return [[button_fields(b) for b in row] for row in keyboard if row]


def media(item: Media, read_file: ReadFile) -> dict[str, str]:
    if item.file_key:
        return {"kind": item.kind, "data_base64": base64.b64encode(read_file(item.file_key)).decode()}
    return {"kind": item.kind, "url": item.url}


def render(reply: Reply, *, key: str, user_id: str, read_file: ReadFile) -> bytes:
    """One fitted part as the bytes to sign and send; ``key`` is its idempotency key."""
    message: dict[str, Any] = {"version": VERSION, "id": key, "user": {"id": user_id}, "text": reply.text}
    if reply.buttons:
        message["buttons"] = rows(reply.buttons)
        message["fallback_text"] = degrade_to_text(reply)
    if reply.menu:
        message["menu"] = rows(reply.menu)
    if reply.media:
        message["media"] = [media(item, read_file) for item in reply.media]
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
