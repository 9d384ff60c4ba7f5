"""A reply as the JSON the page shows (``render``), and where the resident stands (``step``).

Buttons go as data (``label`` with ``payload``, ``url`` or ``request``): the page draws them.
"""
from __future__ import annotations

from typing import Any

from bot.core.channel import Step
from bot.core.rendering import button_fields
from bot.core.replies import Reply


def render(reply: Reply, message_id: int) -> dict[str, Any]:
    """One reply (an outbox row's) as the page reads it; ``message_id`` is the row's id."""
    return {"id": message_id, "text": reply.text,
            "buttons": [[button_fields(b) for b in row] for row in reply.buttons],
            "menu": [[button_fields(b) for b in row] for row in reply.menu],
            "media": [m.model_dump() for m in reply.media]}


def step(where: Step) -> dict[str, Any]:
    return {"language": where.language, "takes_photos": where.takes_photos}


