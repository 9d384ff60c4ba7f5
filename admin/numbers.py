"""Whole numbers from requests: ASCII digits only, and only as large as SQLite can store.

Every id, page number or other whole number the panel reads from a path, a query string or a
form goes through ``whole_number``. Why not ``int()``: ``str.isdigit()`` and ``int()`` take
digits a person does not type ('²' passes ``isdigit`` and then fails ``int``; '٣' and '１' pass
both) and make numbers of any size, which SQLite refuses with OverflowError — each was a 500.
Routes match ids with "[0-9]+", not "\\d+", which matches the digits of every script.
"""
from __future__ import annotations

import re
from typing import Any

from aiohttp import web

INT64_MAX = 2 ** 63 - 1  # the largest INTEGER SQLite stores
_DIGITS = re.compile(r"[0-9]{1,19}")


def whole_number(value: Any, maximum: int = INT64_MAX) -> int | None:
    """``value`` as a number from 0 to ``maximum``, or None for anything else (signs, spaces,
    other scripts' digits, a file upload, too large)."""
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if number <= maximum else None


def path_id(request: web.Request, name: str) -> int:
    """An id from the path; one that cannot exist is a 404, as a missing one is."""
    number = whole_number(request.match_info.get(name))
    if number is None:
        raise web.HTTPNotFound(text="Такой записи нет.")
    return number


def page_number(request: web.Request, page_size: int, name: str = "page") -> int:
    """A page of a list from the query string, 1 when it is missing or is not a page number; at
    most the page whose offset SQLite can still take."""
    return max(whole_number(request.query.get(name, ""), INT64_MAX // page_size) or 1, 1)
