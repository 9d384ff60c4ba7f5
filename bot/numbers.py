"""Whole numbers from what a client sends: ASCII digits only, and only as large as SQLite stores.

Why not ``int()``: ``str.isdigit()`` and ``int()`` take digits a person does not type ('²' passes
``isdigit`` and then fails ``int``; '٣' and '１' pass both), signs and spaces, and make numbers of
any size, which SQLite refuses with OverflowError — each was a 500 in the panel or the web chat.
"""
from __future__ import annotations

import re
from typing import Any

INT64_MAX = 2 ** 63 - 1  # the largest INTEGER SQLite stores
_DIGITS = re.compile(r"[0-9]{1,19}")


def whole_number(value: Any, maximum: int = INT64_MAX) -> int | None:
    """``value`` as a number from 0 to ``maximum``, or None for anything else (signs, spaces,
    other scripts' digits, a file upload, too large)."""
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if number <= maximum else None
