"""A fitted reply as the bodies of ``POST /graph/me/messages/<chat_id>``.

Buttons become one ``INLINE_KEYBOARD`` attachment (``payload.keyboard.buttons``, rows of
buttons): ``CALLBACK`` carries the payload back in a ``MESSAGE_CALLBACK`` webhook, ``LINK`` opens
a URL, ``REQUEST_GEO_LOCATION`` and ``REQUEST_CONTACT`` ask for the resident's place or phone.
OK's keyboard follows the TamTam bot keyboard it came from: at most 30 rows, 7 buttons a row,
210 buttons, 128 characters a label; the channel's ``Capabilities`` stay well inside that (3 a
row, so labels stay readable on a phone).

A photo with a public ``url`` is an ``IMAGE`` attachment, as OK documents. A photo that exists
only in the bot's attachment store has no URL OK could fetch, so it is left out and the text
says nothing about it; the staff panel shows such files.
"""
from __future__ import annotations

import logging
from typing import Any

from bot.core.replies import Button, Reply

log = logging.getLogger(__name__)

# OK refuses a message with neither text nor attachment; this stands in when a reply is only buttons.
BUTTONS_ONLY_TEXT = "👇"


def keyboard(rows: tuple[tuple[Button, ...], ...]) -> dict[str, Any] | None:
    rendered = []
    for row in rows:
        buttons = []
        for button in row:
            if button.payload:
                buttons.append({"type": "CALLBACK", "text": button.label, "payload": button.payload,
                                "intent": "DEFAULT"})
            elif button.url:
                buttons.append({"type": "LINK", "text": button.label, "url": button.url})
            elif button.request == "location":
                buttons.append({"type": "REQUEST_GEO_LOCATION", "text": button.label})
            elif button.request == "contact":
                buttons.append({"type": "REQUEST_CONTACT", "text": button.label})
        if buttons:
            rendered.append(buttons)
    if not rendered:
        return None
    return {"type": "INLINE_KEYBOARD", "payload": {"keyboard": {"buttons": rendered}}}


def render(reply: Reply, chat_id: str) -> list[dict[str, Any]]:
    """The message bodies for one reply that ``bot.core.rendering.fit`` already fitted, in order."""
    attachments: list[dict[str, Any]] = []
    for item in reply.media:
        if item.kind == "photo" and item.url:
            attachments.append({"type": "IMAGE", "payload": {"url": item.url}})
        else:
            log.info("ОК: вложение %s без публичного адреса не отправлено (ОК забирает вложения по адресу)", item.kind)
    markup = keyboard(reply.buttons)
    if markup is not None:
        attachments.append(markup)
    text = reply.text if reply.text.strip() else (BUTTONS_ONLY_TEXT if markup else "")
    if not text and not attachments:
        return []
    message: dict[str, Any] = {}
    if text:
        message["text"] = text
    if attachments:
        message["attachments"] = attachments
    return [{"recipient": {"chat_id": chat_id}, "message": message}]
