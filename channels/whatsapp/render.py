"""A fitted reply as WhatsApp Cloud API message objects, within WhatsApp's limits.

WhatsApp has no keyboards of rows: a message carries at most 3 reply buttons of at most 20
characters, or one list of at most 10 rows (sections group rows but add none) with titles of at
most 24 characters and descriptions of at most 72, and its body at most 1,024 characters (4,096
for plain text). So the payload buttons of a reply become reply buttons when they fit, else a
list whose rows show a long label in full as the description under its shortened title (the
channel declares one button a row, 10 rows and 72-character labels: the core pages a longer
keyboard with «Ещё…»), else numbered text. Link buttons
become "label: url" lines, since a message has room for only one link button; a location
request becomes a ``location_request_message`` of its own after the prompt. Text is sent as is
(no ``preview_url``): a ``Reply`` is plain text by contract.
"""
from __future__ import annotations

from typing import Any

from bot.core.rendering import shorten, split_text
from bot.core.replies import Button, Reply, degrade_to_text

MAX_REPLY_BUTTONS = 3
MAX_BUTTON_TITLE = 20
MAX_LIST_ROWS = 10
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_BODY = 1024
MAX_TEXT = 4096
# Interactive messages need a body; this stands in when a reply is only buttons.
BUTTONS_ONLY_TEXT = "👇"
# The list's own button (at most 20 characters): a sign rather than a word in one language.
LIST_BUTTON = "☰"

Message = dict[str, Any]


def text_message(text: str) -> Message:
    return {"type": "text", "text": {"body": text, "preview_url": False}}


def render(reply: Reply) -> list[Message]:
    """The messages for one reply (media excluded: the channel uploads and sends those first)."""
    buttons = _unique([b for b in reply.all_buttons() if b.payload])
    links = [b for b in reply.all_buttons() if b.url]
    location = next((b for b in reply.all_buttons() if b.request == "location"), None)
    text = reply.text
    if links:
        text = "\n".join([text, *(f"{b.label}: {b.url}" for b in links)]).strip("\n")
    messages: list[Message] = []
    if buttons and len(buttons) <= MAX_LIST_ROWS and all(len(b.label) <= MAX_ROW_DESCRIPTION for b in buttons):
        parts = split_text(text, MAX_BODY) if text.strip() else [BUTTONS_ONLY_TEXT]
        messages.extend(text_message(part) for part in parts[:-1])
        messages.append(_interactive(parts[-1], buttons))
    else:
        if buttons:
            text = degrade_to_text(reply.model_copy(update={"text": text, "buttons": (tuple(buttons),)}))
        messages.extend(text_message(part) for part in split_text(text, MAX_TEXT) if part.strip())
    if location is not None:
        messages.append({"type": "interactive", "interactive": {
            "type": "location_request_message", "body": {"text": location.label[:MAX_BODY]},
            "action": {"name": "send_location"}}})
    return messages


def _unique(buttons: list[Button]) -> list[Button]:
    seen: set[str] = set()
    return [b for b in buttons if not (b.payload in seen or seen.add(b.payload))]


def _interactive(body: str, buttons: list[Button]) -> Message:
    if len(buttons) <= MAX_REPLY_BUTTONS and all(len(b.label) <= MAX_BUTTON_TITLE for b in buttons):
        action = {"buttons": [{"type": "reply", "reply": {"id": b.payload, "title": b.label}} for b in buttons]}
        return {"type": "interactive", "interactive": {"type": "button", "body": {"text": body},
                                                       "action": action}}
    rows = [_row(b) for b in buttons]
    action = {"button": LIST_BUTTON, "sections": [{"rows": rows}]}
    return {"type": "interactive", "interactive": {"type": "list", "body": {"text": body}, "action": action}}


def _row(button: Button) -> dict[str, str]:
    if len(button.label) <= MAX_ROW_TITLE:
        return {"id": button.payload, "title": button.label}
    return {"id": button.payload, "title": shorten(button.label, MAX_ROW_TITLE), "description": button.label}


def media_message(kind: str, source: dict[str, str], caption: str = "") -> Message:
    """An image, video or document by ``{"link": url}`` or ``{"id": uploaded media id}``."""
    kind = {"photo": "image"}.get(kind, kind)
    content = dict(source)
    if caption and kind in ("image", "video", "document"):
        content["caption"] = caption[:MAX_BODY]
    return {"type": kind, kind: content}


def template_message(name: str, language: str, parameter: str | None) -> Message:
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if parameter is not None:
        # Template parameters may not hold new lines, tabs or more than four spaces in a row.
        flat = " ".join(parameter.split())[:MAX_BODY]
        template["components"] = [{"type": "body", "parameters": [{"type": "text", "text": flat}]}]
    return {"type": "template", "template": template}
