"""Fit a neutral reply into a platform's limits, degrading instead of failing.

Long text is split at paragraph or line breaks; button rows are re-flowed to the platform's
row width, and neighbouring rows are put side by side when there are more rows than the
platform allows (a tall menu fits VK's ten rows as pairs); labels are shortened with an
ellipsis; a button asking for something the platform cannot give (a phone number on VK) is left
out rather than shown broken. When the buttons still do not fit, or the platform has none, they
become numbered lines of text (``degrade_to_text``): the last resort, since the core pages a
long keyboard («Ещё…», ``bot.core.keyboard_memory``) before it reaches a channel.
"""
from __future__ import annotations

from bot.core.capabilities import Capabilities
from bot.core.replies import Button, Reply, degrade_to_text

Rows = tuple[tuple[Button, ...], ...]


def button_fields(button: Button) -> dict[str, str]:
    """A button as JSON for a client that draws it itself (the web chat, the gateway): its label,
    and only those of payload, url and request that it has."""
    shown = {"label": button.label}
    for field in ("payload", "url", "request"):
        if value := getattr(button, field):
            shown[field] = value
    return shown


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


def reflow(rows: Rows, per_row: int, label_limit: int) -> Rows:
    if all(len(row) <= per_row and all(len(b.label) <= label_limit for b in row) for row in rows):
        return rows  # as it is: the common case, asked for every reply
    flowed: list[tuple[Button, ...]] = []
    for row in rows:
        fitted = [b if len(b.label) <= label_limit else b.model_copy(update={"label": shorten(b.label, label_limit)})
                  for b in row]
        for start in range(0, len(fitted), per_row):
            flowed.append(tuple(fitted[start:start + per_row]))
    return tuple(flowed)


def usable(rows: Rows, caps: Capabilities) -> Rows:
    """The rows without buttons that ask for what the platform cannot give; a button asking for
    a photo where no button can is kept as its payload (its handler tells how to send one)."""
    if caps.request_location and caps.request_contact and caps.request_photo:
        return rows
    def fitted(button: Button) -> Button | None:
        if button.request == "photo" and not caps.request_photo:
            return button.model_copy(update={"request": ""}) if button.payload else None
        if (button.request == "location" and not caps.request_location) or \
                (button.request == "contact" and not caps.request_contact):
            return None
        return button
    if not any(b.request for row in rows for b in row):
        return rows
    kept = (tuple(f for b in row if (f := fitted(b)) is not None) for row in rows)
    return tuple(row for row in kept if row)


def arrange(rows: Rows, caps: Capabilities) -> Rows | None:
    """The rows as the platform can show them, or None when they cannot be shown as buttons."""
    if not caps.inline_buttons:
        return None
    rows = reflow(rows, caps.max_buttons_per_row, caps.max_button_label)
    if sum(len(row) for row in rows) > caps.button_capacity:
        return None
    for width in range(1, caps.max_buttons_per_row + 1):
        merged = _side_by_side(rows, width) if width > 1 else rows
        if len(merged) <= caps.max_button_rows:
            return merged
    flat = [b for row in rows for b in row]
    per_row = caps.max_buttons_per_row
    packed = tuple(tuple(flat[i:i + per_row]) for i in range(0, len(flat), per_row))
    return packed if len(packed) <= caps.max_button_rows else None


def _side_by_side(rows: Rows, width: int) -> Rows:
    """Neighbouring rows joined while the joined row is at most ``width`` buttons wide."""
    merged: list[tuple[Button, ...]] = []
    for row in rows:
        if merged and len(merged[-1]) + len(row) <= width:
            merged[-1] = merged[-1] + row
        else:
            merged.append(row)
    return tuple(merged)


def fit(reply: Reply, caps: Capabilities) -> list[Reply]:
    """The reply as one or more replies that the platform can show; buttons go on the last."""
    text = reply.text
    rows = usable(reply.buttons, caps)
    buttons = arrange(rows, caps) if rows else ()
    if buttons is None:
        text, buttons = degrade_to_text(reply.model_copy(update={"buttons": rows})), ()
    menu = reflow(reply.menu, caps.max_buttons_per_row, caps.max_button_label)[: caps.max_button_rows]
    chunks = split_text(text, caps.max_text_length) or [""]
    replies = [Reply(text=chunk) for chunk in chunks[:-1]]
    replies.append(Reply(text=chunks[-1], buttons=buttons, menu=menu, media=reply.media))
    if reply.media and len(chunks) > 1:
        replies[0] = replies[0].model_copy(update={"media": reply.media})
        replies[-1] = replies[-1].model_copy(update={"media": ()})
    return replies
