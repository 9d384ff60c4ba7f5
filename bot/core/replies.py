"""The neutral reply a handler produces; each channel renders it within its own limits.

Buttons carry a payload (see ``bot.core.payloads``) or ask the platform for the resident's
location or phone; a button asking for a photo opens the client's own picker where the client
has one (the web chat) and is its payload elsewhere; a ``menu`` is the persistent keyboard a platform keeps under the
input field where it has one. ``degrade_to_text`` is the last resort every renderer can fall back on:
buttons become numbered lines that a resident can answer by number.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Button(Frozen):
    label: str
    payload: str = ""
    url: str = ""
    request: Literal["", "location", "contact", "photo"] = ""


class Media(Frozen):
    kind: Literal["photo", "video", "document"] = "photo"
    file_key: str = ""
    url: str = ""


class Reply(Frozen):
    text: str = ""
    buttons: tuple[tuple[Button, ...], ...] = ()
    menu: tuple[tuple[Button, ...], ...] = ()
    media: tuple[Media, ...] = ()

    def all_buttons(self) -> list[Button]:
        return [button for row in self.buttons for button in row]


def degrade_to_text(reply: Reply) -> str:
    """The reply as plain text with its payload buttons numbered ("1. Идея")."""
    lines = [reply.text] if reply.text else []
    numbered = [b for b in reply.all_buttons() if b.payload]
    if numbered:
        lines.append("")
        lines.extend(f"{index}. {button.label}" for index, button in enumerate(numbered, 1))
    links = [b for b in reply.all_buttons() if b.url]
    lines.extend(f"{button.label}: {button.url}" for button in links)
    return "\n".join(lines)


def button_by_number(reply: Reply, answer: str) -> Button | None:
    """Map "2" back to the second numbered button of a degraded reply."""
    numbered = [b for b in reply.all_buttons() if b.payload]
    if answer.strip().isdigit():
        index = int(answer.strip())
        if 1 <= index <= len(numbered):
            return numbered[index - 1]
    return None
