"""Replies as MAX messages: text plus an ``inline_keyboard`` attachment, within MAX's limits.

The limits (dev.max.ru "Клавиатура", and the OpenAPI schema 0.0.30 of max-bot-api-client-go):
a message text is at most 4,000 characters, but maxapi refuses 4,000 itself (``len < 4000``),
so 3,999; a keyboard holds at most 210 buttons in at most 30 rows of at most 7, and a row with
a ``link``, ``request_geo_location`` or ``request_contact`` button holds at most 3; a label is
1 to 128 characters. The core fits a reply to the general limits (``CAPABILITIES``) before it
comes here; the three-per-row rule for special buttons is applied here, and when it pushes a
keyboard past 30 rows the part is sent as numbered text instead.

MAX bots have no persistent keyboard under the input field, so a ``menu`` is shown as the
inline keyboard of a reply that has no buttons of its own. Media that are links are added to
the text as links; a stored picture (``file_key``) is named in ``photos``, for the channel to
upload (once) and attach; other stored files are left out.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from maxapi.types.attachments.attachment import ButtonsPayload
from maxapi.types.attachments.buttons import CallbackButton, LinkButton, RequestContactButton, RequestGeoLocationButton
from maxapi.types.attachments.buttons.attachment_button import AttachmentButton

from bot.core.channel import Capabilities
from bot.core.rendering import split_text
from bot.core.replies import Button, Reply, degrade_to_text

log = logging.getLogger(__name__)

MAX_TEXT = 3999
MAX_ROWS = 30
MAX_PER_ROW = 7
MAX_SPECIAL_PER_ROW = 3
MAX_LABEL = 128

CAPABILITIES = Capabilities(max_text_length=MAX_TEXT, max_buttons_per_row=MAX_PER_ROW,
                            max_button_rows=MAX_ROWS, max_button_label=MAX_LABEL,
                            inline_buttons=True, request_location=True, request_contact=True,
                            phone_proof="contact")


@dataclass(frozen=True)
class Message:
    """One ``POST /messages`` body: the text and the attachments."""

    text: str
    keyboard: tuple[tuple[Button, ...], ...] = ()
    attachments: list[Any] = field(default_factory=list, compare=False)
    photos: tuple[str, ...] = ()  # stored pictures (attachment keys) to upload and attach first


def render(reply: Reply) -> list[Message]:
    """One part of a reply, as the core fitted it, as the MAX messages that show it, in order."""
    rows = _narrow(reply.buttons or reply.menu)
    if len(rows) <= MAX_ROWS:
        messages = [_message(reply, rows)]
    else:
        chunks = split_text(degrade_to_text(reply.model_copy(update={"menu": ()})), MAX_TEXT)
        messages = [_message(Reply(text=chunk, media=reply.media if index == 0 else ()), ())
                    for index, chunk in enumerate(chunks)]
    return [m for m in messages if m.text or m.attachments or m.photos]


def _narrow(rows: tuple[tuple[Button, ...], ...]) -> tuple[tuple[Button, ...], ...]:
    narrowed: list[tuple[Button, ...]] = []
    for row in rows:
        width = MAX_SPECIAL_PER_ROW if any(b.url or b.request for b in row) else MAX_PER_ROW
        narrowed.extend(row[i:i + width] for i in range(0, len(row), width))
    return tuple(narrowed)


def _message(part: Reply, rows: tuple[tuple[Button, ...], ...]) -> Message:
    lines = [part.text] if part.text else []
    for medium in part.media:
        if medium.url:
            lines.append(medium.url)
        elif medium.kind != "photo":
            log.warning("сохранённое вложение %s в MAX не отправляется; ответ уходит без него", medium.kind)
    text = "\n".join(lines)[:MAX_TEXT]
    attachments = []
    if rows:
        buttons = [[_button(b) for b in row] for row in rows]
        attachments.append(AttachmentButton(type="inline_keyboard", payload=ButtonsPayload(buttons=buttons)))
    photos = tuple(m.file_key for m in part.media if m.kind == "photo" and m.file_key and not m.url)
    return Message(text=text, keyboard=rows, attachments=attachments, photos=photos)


def _button(button: Button):
    if button.url:
        return LinkButton(text=button.label, url=button.url)
    if button.request == "location":
        return RequestGeoLocationButton(text=button.label)
    if button.request == "contact":
        return RequestContactButton(text=button.label)
    return CallbackButton(text=button.label, payload=button.payload)
