"""Text as residents send it, made storable: what JSON can carry but UTF-8 and SQLite cannot.

A JSON string may hold a lone UTF-16 surrogate (the escape ``"\\ud800"``) and control characters
such as NUL (``"\\u0000"``). Python decodes them into a ``str`` that cannot be encoded as UTF-8,
so such a text fails every write and every JSON dump after it; NUL also cuts strings short in
many tools. Repairing them where an event is built, once for every channel, means nothing behind
that point has to care: a lone surrogate becomes U+FFFD (the replacement character, which shows
that something was there), NUL and the other C0 controls except tab and line breaks are dropped.
"""
from __future__ import annotations

import math
import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_EITHER = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f]")


def storable_text(text: str) -> str:
    """``text`` with lone surrogates replaced and control characters (but \\t \\n \\r) removed."""
    if not _EITHER.search(text):  # nearly every text: nothing to repair, nothing copied
        return text
    if _SURROGATE.search(text):
        # A well-formed pair written as two escapes becomes its character; a lone half, U+FFFD.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return _CONTROL.sub("", text)


def storable_values(value: Any) -> Any:
    """Every string in ``value`` repaired, through dicts (keys too), lists and tuples; a number
    JSON cannot carry (an infinity or NaN that a lenient decoder let through) becomes None, which
    is what storing it would make of it, so that an event reads back as it was built."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {storable_values(key): storable_values(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable_values(item) for item in value]
    if isinstance(value, tuple):
        return tuple(storable_values(item) for item in value)
    return value
