"""The values staff type after a command's options, checked: a typo is an error, never a filter
that silently matches nothing.

What argparse can check before anything is loaded is checked there: fixed lists with
``choices=``, shapes (a date, a number, an export kind) with the ``type=`` functions below,
whose ``ArgumentTypeError`` argparse prints as «аргумент --date-from: …» and exits with 2.
What depends on the settings (categories, topics) or on the database (poll and survey keys) is
checked once they are open, with ``known()``: an ``UnknownValue`` that ``python -m bot``
prints the same way, with the same exit code 2, before anything is written.
"""
from __future__ import annotations

import argparse
import importlib.util
import re
from datetime import date
from pathlib import Path
from typing import Iterable, Mapping

from bot.localtime import LocalTime
from bot.numbers import whole_number

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_KEY = re.compile(r"[a-z0-9_]{1,64}")
EXPORT_KINDS = ("proposals", "residents", "all", "survey:<ключ опроса>")


class UnknownValue(Exception):
    """A typed value that names nothing known; the text names the option and what is allowed."""

    def __init__(self, option: str, value: str, nothing: str, allowed: Iterable[str] | Mapping[str, str]) -> None:
        self.option, self.value = option, value
        super().__init__(f"аргумент {option}: {nothing}: «{value}»; можно: {allowed_list(allowed)}")


def allowed_list(allowed: Iterable[str] | Mapping[str, str]) -> str:
    """«idea (Идея для парка), tree (Дерево)» for keys with titles, «a, b» for keys alone."""
    if isinstance(allowed, Mapping):
        shown = [f"{key} ({title})" if title and title != key else key for key, title in allowed.items()]
    else:
        shown = list(allowed)
    return ", ".join(shown) if shown else "пока ничего нет"


def known(option: str, value: str | None, nothing: str, allowed: Iterable[str] | Mapping[str, str]) -> None:
    """Nothing when ``value`` is empty or allowed; else an UnknownValue."""
    keys = allowed.keys() if isinstance(allowed, Mapping) else list(allowed)
    if value and value not in keys:
        raise UnknownValue(option, value, nothing, allowed)


def calendar_date(text: str) -> str:
    """``type=`` for a day: 2026-06-25 (ISO), kept as that text; «2026-13-45» is an error."""
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"нет такой даты: «{text}»; пишите ГГГГ-ММ-ДД, например 2026-06-25") from None


def town_time(text: str) -> str:
    """``type=`` for a time staff type: «25.06.2026 08:00», 2026-06-25T08:00 (the town's time) or
    with an offset. Only its shape is checked here; the town's zone turns it into a moment once
    the settings are read (``LocalTime.typed``)."""
    try:
        LocalTime().typed(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"не время: «{text}»; пишите по времени города, например "
                                         f"«25.06.2026 08:00», или со смещением 2026-06-25T08:00+09:00") from None
    return text


def number(text: str) -> int:
    """``type=`` for an id: ASCII digits only (``bot.numbers.whole_number``)."""
    found = whole_number(text)
    if found is None:
        raise argparse.ArgumentTypeError(f"нужен номер (целое число, например 3), а не «{text}»")
    return found


def export_kind(text: str) -> str:
    """``type=`` for what ``export`` writes; a survey's key is checked against the database later."""
    if text in EXPORT_KINDS[:3] or (text.startswith("survey:") and _KEY.fullmatch(text.removeprefix("survey:"))):
        return text
    raise argparse.ArgumentTypeError(f"нет такого вида выгрузки: «{text}»; можно: {', '.join(EXPORT_KINDS)}")


def resident_languages() -> list[str]:
    """The languages residents can have: one locale file each (read without importing handlers)."""
    spec = importlib.util.find_spec("handlers")
    if spec is None or spec.origin is None:
        raise RuntimeError("пакет handlers не найден: языки жителей неизвестны")
    folder = Path(spec.origin).parent / "locales"
    return sorted(path.stem for path in folder.glob("*.yaml"))
