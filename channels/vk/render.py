"""Replies as VK messages: text parts, each with a keyboard where the reply has buttons.

Which keyboard a resident gets depends on their client (``ClientSupport``): an inline keyboard
of ``callback`` buttons when it can show one (pressing such a button sends ``message_event``
and leaves no message in the dialogue), otherwise a normal keyboard of ``text`` buttons that
hides after a press. A location request exists only as a ``location`` button of a normal
keyboard, so a reply asking for a place always gets a normal keyboard. The limits differ
between the two (VK keyboard docs: inline 6 rows of 5, 10 buttons in all; normal 10 rows of 5,
40 buttons), so a reply whose buttons do not fit an inline keyboard gets a normal one: the
campaign's main menu of 11 buttons is a normal keyboard, not numbered text. The core fits a
reply for the normal one (``capabilities``, which ``capabilities_for`` gives) and pages bigger
keyboards before it comes here; numbered text is left for clients that show no keyboard at all.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.core.channel import Capabilities, Fitted
from bot.core.rendering import arrange
from bot.core.replies import Button, Reply
from channels.vk.parse import ClientSupport

TEXT_LIMIT = 4096          # messages.send: longer text fails with error 914
LABEL_LIMIT = 40
PAYLOAD_LIMIT = 255
PER_ROW = 5
INLINE_ROWS, INLINE_BUTTONS = 6, 10
NORMAL_ROWS, NORMAL_BUTTONS = 10, 40
ATTACHMENTS = 10          # messages.send: at most 10 attachments a message
RANDOM_ID_PARTS = 64       # parts a reply may be split into before random ids could collide
INT32 = 2**31 - 1

INLINE = Capabilities(max_text_length=TEXT_LIMIT, max_buttons_per_row=PER_ROW, max_button_rows=INLINE_ROWS,
                      max_buttons=INLINE_BUTTONS, max_button_label=LABEL_LIMIT, inline_buttons=True,
                      request_location=True, request_contact=False)
NORMAL = Capabilities(max_text_length=TEXT_LIMIT, max_buttons_per_row=PER_ROW, max_button_rows=NORMAL_ROWS,
                      max_buttons=NORMAL_BUTTONS, max_button_label=LABEL_LIMIT, inline_buttons=True,
                      request_location=True, request_contact=False)
NO_KEYBOARD = Capabilities(max_text_length=TEXT_LIMIT, inline_buttons=False, request_location=False,
                           request_contact=False)


@dataclass(frozen=True)
class Message:
    """One ``messages.send`` call; ``random_id`` makes a repeated call a no-op at VK."""

    text: str
    keyboard: str | None
    random_id: int
    photos: tuple[str, ...] = ()  # stored pictures (attachment keys) to upload and attach


def random_id(outgoing_id: int, part: int) -> int:
    """A positive int32 unique per (outbox row, part): VK drops a second send with the same one."""
    return (outgoing_id * RANDOM_ID_PARTS + part) % INT32 + 1


def capabilities(support: ClientSupport) -> Capabilities:
    """The most a resident's client can show: what the core lays a reply out for."""
    return NORMAL if support.keyboard else NO_KEYBOARD


def render(reply: Fitted, support: ClientSupport) -> list[Message]:
    """A reply, as the core fitted it to ``capabilities(support)``, as ``messages.send`` calls:
    one a part, the keyboard on the last; an inline one when the client shows it and the
    buttons fit it."""
    parts = reply.parts
    last = parts[-1]
    inline = support.inline and _fits_inline(last)
    texts = [_with_links(part) for part in parts]
    keyboards: list[str | None] = [None] * len(parts)
    if last.buttons:
        rows = arrange(last.buttons, INLINE) if inline else last.buttons
        keyboards[-1] = keyboard(rows or last.buttons, inline=inline)
    elif last.menu and support.keyboard:
        keyboards[-1] = keyboard(last.menu[:NORMAL_ROWS], inline=False, one_time=False)
    return [Message(text or "…", board, random_id(reply.id, index), stored_photos(part))
            for index, (text, board, part) in enumerate(zip(texts, keyboards, parts))]


def stored_photos(part: Reply) -> tuple[str, ...]:
    """The part's pictures from the bot's own store: VK shows them once uploaded (the channel
    uploads each once, ``photos.getMessagesUploadServer``), at most 10 a message."""
    return tuple(m.file_key for m in part.media if m.kind == "photo" and m.file_key)[:ATTACHMENTS]


def _fits_inline(part: Reply) -> bool:
    """Inline buttons leave no message in the dialogue: used whenever the buttons fit them."""
    if any(b.request == "location" for b in part.all_buttons()):
        return False  # a location button exists only in a normal keyboard
    return not part.buttons or arrange(part.buttons, INLINE) is not None


def keyboard(rows: tuple[tuple[Button, ...], ...], *, inline: bool, one_time: bool = True) -> str:
    board: dict[str, Any] = {"inline": inline,
                             "buttons": [[_button(b, inline) for b in row] for row in rows if row]}
    if not inline:
        board["one_time"] = one_time
    return json.dumps(board, ensure_ascii=False)


def _button(button: Button, inline: bool) -> dict[str, Any]:
    if button.url:
        return {"action": {"type": "open_link", "link": button.url, "label": button.label}}
    if button.request == "location":
        return {"action": {"type": "location", "payload": "{}"}}
    payload = json.dumps({"p": button.payload}, separators=(",", ":"))
    if len(payload) > PAYLOAD_LIMIT:
        raise ValueError(f"payload {button.payload!r} is over VK's {PAYLOAD_LIMIT} characters")
    kind = "callback" if inline else "text"
    return {"action": {"type": kind, "label": button.label, "payload": payload}}


def _with_links(reply: Reply) -> str:
    """Media by URL are given as links, so that nothing a handler says is lost (stored
    pictures are attached: ``stored_photos``)."""
    links = [m.url for m in reply.media if m.url]
    return "\n".join([reply.text, *links]) if links else reply.text
