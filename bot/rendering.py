"""Fit a neutral reply into a platform's limits, degrading instead of failing.

Long text is split at paragraph or line breaks; button rows are re-flowed to the platform's
row width; labels are shortened with an ellipsis; and when the buttons still do not fit, or
the platform has none, they become numbered lines of text (``degrade_to_text``).
"""
from __future__ import annotations

from bot.channel import Capabilities
from bot.replies import Button, Reply, degrade_to_text


def split_text(text: str, limit: int) -> list[str]:
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        # Prefer a paragraph break, then a line break, then a space, in the second half.
        cuts = (rest.rfind(mark, 0, limit) for mark in ("\n\n", "\n", " "))
        cut = next((c for c in cuts if c > limit // 2), limit)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def shorten(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: max(limit - 1, 1)] + "…"


def reflow(rows: tuple[tuple[Button, ...], ...], per_row: int, label_limit: int) -> tuple[tuple[Button, ...], ...]:
    flowed: list[tuple[Button, ...]] = []
    for row in rows:
        fitted = [b.model_copy(update={"label": shorten(b.label, label_limit)}) for b in row]
        for start in range(0, len(fitted), per_row):
            flowed.append(tuple(fitted[start:start + per_row]))
    return tuple(flowed)


def fit(reply: Reply, caps: Capabilities) -> list[Reply]:
    """The reply as one or more replies that the platform can show; buttons go on the last."""
    buttons = reflow(reply.buttons, caps.max_buttons_per_row, caps.max_button_label)
    unusable = any(
        (b.request == "location" and not caps.request_location)
        or (b.request == "contact" and not caps.request_contact) for row in buttons for b in row)
    text = reply.text
    if not caps.inline_buttons or len(buttons) > caps.max_button_rows or unusable:
        text, buttons = degrade_to_text(reply), ()
    menu = reflow(reply.menu, caps.max_buttons_per_row, caps.max_button_label)[: caps.max_button_rows]
    chunks = split_text(text, caps.max_text_length) or [""]
    replies = [Reply(text=chunk) for chunk in chunks[:-1]]
    replies.append(Reply(text=chunks[-1], buttons=buttons, menu=menu, media=reply.media))
    if reply.media and len(chunks) > 1:
        replies[0] = replies[0].model_copy(update={"media": reply.media})
        replies[-1] = replies[-1].model_copy(update={"media": ()})
    return replies
