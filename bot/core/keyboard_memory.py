"""What a resident was last shown, kept with their state: so that a typed number or label
presses a button, and a keyboard too big for the platform is shown in pages («Ещё…»).

Where a platform (or a resident's client) cannot show buttons, they become numbered lines, and
the resident answers "2" or types the label. That works only if the core knows what it showed,
after a restart too, so the buttons shown are written with the resident's state, in the same
transaction as the replies. A number presses a button only where numbers were shown: at a step
that asks "how many times a month?" a typed "1" is an answer. A label presses its button
wherever it was shown (case, emoji, punctuation and spacing ignored).

A keyboard with more buttons than the platform holds is cut into pages that each fit, with
«Ещё…» and «Назад» buttons (``kb:<page>``) that the core answers itself from the whole reply
kept here, before any handler: paging changes nothing but what is on screen.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from bot.core.channel import Capabilities
from bot.core.events import Event, Kind
from bot.core.payloads import decode, encode
from bot.core.rendering import Rows, arrange, usable
from bot.core.replies import Button, Reply

PAGE = "kb"  # payload kb:<page>, answered by the core
# A typed prefix of a label presses it only when it is this long and names one button.
MIN_PREFIX = 4
NUMBER = re.compile(r"^\s*(?:№|#)?\s*(\d{1,3})\s*[.)]?\s*$")


@dataclass(frozen=True)
class Shown:
    """The buttons on a resident's screen, in the order they are numbered. A plain dataclass
    with its own JSON shape: it is read and written for every message a resident sends."""

    choices: tuple[tuple[str, str], ...] = ()  # (label, payload)
    numbered: bool = False
    paged: Reply | None = None  # the whole reply, when it is shown in pages
    page: int = 0

    @classmethod
    def load(cls, stored: dict[str, Any] | None) -> "Shown":
        if not stored:
            return cls()
        try:
            choices = tuple((str(label), str(payload)) for label, payload in stored.get("choices", ()))
            paged = stored.get("paged")
            return cls(choices=choices, numbered=bool(stored.get("numbered")),
                       paged=Reply.model_validate(paged) if paged else None, page=int(stored.get("page", 0)))
        except (TypeError, ValueError, ValidationError):
            return cls()  # written by an older version: nothing to press by text

    def dump(self) -> dict[str, Any]:
        stored: dict[str, Any] = {}
        if self.choices:
            stored["choices"] = [list(choice) for choice in self.choices]
        if self.numbered:
            stored["numbered"] = True
        if self.paged is not None:
            stored["paged"] = self.paged.model_dump(mode="json", exclude_defaults=True)
            stored["page"] = self.page
        return stored


@dataclass(frozen=True)
class PageLabels:
    more: str
    back: str
    heading: str  # the text above the buttons of every page after the first


# -- typed answers -------------------------------------------------------------------------------

def pressed(event: Event, shown: Shown) -> Event:
    """The event as the press of the button the resident typed, or as it came."""
    if event.kind is not Kind.TEXT or not shown.choices:
        return event
    payload = _typed_choice(event.text, shown)
    if payload is None:
        return event
    return event.model_copy(update={"kind": Kind.BUTTON, "payload": payload, "text": ""})


def _typed_choice(text: str, shown: Shown) -> str | None:
    number = NUMBER.match(text)
    if number:
        index = int(number.group(1))
        if shown.numbered and 1 <= index <= len(shown.choices):
            return shown.choices[index - 1][1]
        return None
    typed = normalised(text)
    if not typed:
        return None
    labels = [(normalised(label), payload) for label, payload in shown.choices]
    exact = [payload for label, payload in labels if label and label == typed]
    if exact:
        return exact[0]
    if len(typed) >= MIN_PREFIX:
        starting = {payload for label, payload in labels if label.startswith(typed)}
        if len(starting) == 1:
            return starting.pop()
    return None


@functools.lru_cache(maxsize=4096)
def normalised(label: str) -> str:
    """Letters and digits only, lower case, ё as е, single spaces: «✅ Да!» is «да»."""
    kept = "".join(ch if unicodedata.category(ch)[0] in "LN" else " " for ch in label.casefold())
    return " ".join(kept.replace("ё", "е").split())


# -- pages ---------------------------------------------------------------------------------------

def page_asked(event: Event) -> int | None:
    if event.kind is not Kind.BUTTON:
        return None
    payload = decode(event.payload)
    if payload is None or payload.namespace != PAGE or not payload.arg(0).isdigit():
        return None
    return int(payload.arg(0))


def turn_page(shown: Shown, page: int, caps: Capabilities, labels: PageLabels) -> tuple[Reply, Shown] | None:
    """Page ``page`` of the reply last shown in pages; None when there is no such page (an old
    «Ещё…» pressed after the keyboard changed)."""
    if shown.paged is None:
        return None
    pages = _pages(shown.paged, caps, labels)
    if pages is None or not 0 <= page < len(pages):
        return None
    return pages[page], _shown(pages[page], caps, paged=shown.paged, page=page)


def lay_out(replies: list[Reply], caps: Capabilities, labels: PageLabels,
            kept: Shown) -> tuple[list[Reply], Shown]:
    """Replies that fit the platform, with keyboards too big for it cut into pages, and what the
    resident will see. Any answer replaces what is on screen; an event answered with nothing
    (a platform notice) leaves ``kept``."""
    if not replies:
        return replies, kept
    laid = list(replies)
    shown = Shown()
    for index, reply in enumerate(laid):
        if not reply.buttons:
            continue
        choices, too_big = _plan(reply.buttons, caps)
        if not choices:
            continue
        pages = _pages(reply, caps, labels) if too_big else None
        if pages and len(pages) > 1:
            laid[index] = pages[0]
            shown = _shown(pages[0], caps, paged=reply, page=0)
        else:
            shown = _shown(reply, caps, plan=(choices, too_big))
    return laid, shown


def _shown(reply: Reply, caps: Capabilities, *, paged: Reply | None = None, page: int = 0,
           plan: tuple[tuple[tuple[str, str], ...], bool] | None = None) -> Shown:
    """What ``reply`` shows; ``plan``: its ``_plan``, when the caller has it already."""
    choices, too_big = plan or _plan(reply.buttons, caps)
    return Shown(choices=choices, numbered=bool(choices) and (too_big or caps.numbers_shown),
                 paged=paged, page=page)


# The same keyboards come again and again (the main menu is built once per language, and a
# reply keeps its buttons' objects): what each shows is remembered by the identity of its
# buttons, holding them so that their ids cannot be reused meanwhile.
_PLANS: dict[tuple[tuple[int, ...], ...], tuple[Rows, Capabilities, tuple[tuple[tuple[str, str], ...], bool]]] = {}
PLANS_KEPT = 512


def _plan(rows: Rows, caps: Capabilities) -> tuple[tuple[tuple[str, str], ...], bool]:
    """The (label, payload) choices a keyboard shows, and whether it is too big for ``caps``."""
    key = tuple(tuple(map(id, row)) for row in rows)
    known = _PLANS.get(key)
    if known is not None and known[1] == caps:
        return known[2]
    visible = usable(rows, caps)
    plan = (tuple((b.label, b.payload) for row in visible for b in row if b.payload),
            bool(visible) and arrange(visible, caps) is None)
    if len(_PLANS) >= PLANS_KEPT:
        _PLANS.clear()
    _PLANS[key] = (rows, caps, plan)
    return plan


def _pages(reply: Reply, caps: Capabilities, labels: PageLabels) -> list[Reply] | None:
    """The reply's buttons in pages that each fit, or None when not even one button fits
    beside «Ещё…» and «Назад» (the channel then numbers them)."""
    rows = usable(reply.buttons, caps)
    if not caps.inline_buttons or not rows:
        return None
    placed = [(row_index, button) for row_index, row in enumerate(rows) for button in row]
    pages: list[Reply] = []
    while placed:
        page_number = len(pages)
        taken = 0
        for count in range(1, len(placed) + 1):
            last = count == len(placed)
            if arrange(_page_rows(placed[:count], page_number, last, labels), caps) is None:
                break
            taken = count
        if taken == 0:
            return None
        last = taken == len(placed)
        text = reply.text if page_number == 0 else labels.heading
        pages.append(Reply(text=text, buttons=_page_rows(placed[:taken], page_number, last, labels),
                           menu=reply.menu, media=reply.media if page_number == 0 else ()))
        placed = placed[taken:]
    return pages


def _page_rows(placed: list[tuple[int, Button]], page: int, last: bool,
               labels: PageLabels) -> tuple[tuple[Button, ...], ...]:
    rows: list[list[Button]] = []
    previous = None
    for row_index, button in placed:
        if row_index != previous:
            rows.append([])
            previous = row_index
        rows[-1].append(button)
    turn = []
    if page > 0:
        turn.append(Button(label=labels.back, payload=encode(PAGE, page - 1)))
    if not last:
        turn.append(Button(label=labels.more, payload=encode(PAGE, page + 1)))
    if turn:
        rows.append(turn)
    return tuple(tuple(row) for row in rows)
