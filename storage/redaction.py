"""What a text kept after /forget must no longer say about its author: names, phones, e-mail.

A resident who asks to be forgotten but keeps their proposals (the default) keeps the ideas, not
themselves: "Меня зовут Иван Петров, звоните 8 914 123-45-67" must not survive the erasure.
Phone numbers are found by Google's libphonenumber (``phonenumbers``) as numbers valid for
Russia or written internationally, plus the short dashed local form of a small town
("2-13-45"); names by pymorphy3's dictionary of first names, patronymics and surnames (a
surname counts only beside a first name or patronymic, so "улица Ленина" stays), and by the
resident's own profile name and phone. What is found is replaced by a bracketed note for staff.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import phonenumbers

from storage.morphology import analyzer

REGION = "RU"
PHONE_NOTE = "[телефон скрыт]"
NAME_NOTE = "[имя скрыто]"
EMAIL_NOTE = "[почта скрыта]"

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
LOCAL_PHONE = re.compile(r"(?<![\w.,-])\d{1,3}[-–]\d{2}[-–]\d{2}(?![\w-]|[.,]\d)")
CAPITALISED_RUN = re.compile(r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?(?:\s+[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?)*")
WORD = re.compile(r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?")
# A person's name after one of these is the name of a place: "улица Карла Маркса", "сквер имени Гагарина".
PLACE_WORDS = frozenset({
    "улица", "улице", "улицы", "улицу", "ул", "проспект", "проспекте", "пр", "пр-т", "переулок", "переулке", "пер",
    "площадь", "площади", "пл", "бульвар", "бульваре", "б-р", "сквер", "сквере", "парк", "парке", "имени", "им",
    "памятник", "памятника", "памятнику", "проезд", "проезде", "шоссе", "набережная", "набережной", "микрорайон",
    "мкр", "школа", "школы", "школе", "библиотека", "библиотеки", "дк"})
PERSON = frozenset({"Name", "Patr"})


@dataclass
class Redacted:
    phones: int = 0
    names: int = 0
    emails: int = 0

    def add(self, other: "Redacted") -> None:
        self.phones += other.phones
        self.names += other.names
        self.emails += other.emails

    @property
    def total(self) -> int:
        return self.phones + self.names + self.emails


def redact(text: str, own_name: str = "", own_phone: str = "") -> tuple[str, Redacted]:
    """``text`` without phone numbers, e-mail addresses and people's names; what was removed."""
    found = Redacted()
    if not text:
        return text, found
    text, found.emails = EMAIL.subn(EMAIL_NOTE, text)
    text, found.phones = _without_phones(text, own_phone)
    text, found.names = _without_names(text, own_name)
    return text, found


def redact_json(value: Any, own_name: str = "", own_phone: str = "", keep: re.Pattern[str] | None = None
                ) -> tuple[Any, Redacted]:
    """Every string inside ``value`` (a survey's answers) redacted; strings ``keep`` matches
    whole (attachment keys) are left as they are."""
    found = Redacted()
    if isinstance(value, str):
        if keep is not None and keep.fullmatch(value):
            return value, found
        return redact(value, own_name, own_phone)
    if isinstance(value, list):
        items = []
        for item in value:
            cleaned, more = redact_json(item, own_name, own_phone, keep)
            items.append(cleaned)
            found.add(more)
        return items, found
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            result[key], more = redact_json(item, own_name, own_phone, keep)
            found.add(more)
        return result, found
    return value, found


def _without_phones(text: str, own_phone: str) -> tuple[str, int]:
    matcher = phonenumbers.PhoneNumberMatcher(text, REGION, leniency=phonenumbers.Leniency.VALID)
    spans = [(m.start, m.end) for m in matcher]
    spans += [m.span() for m in LOCAL_PHONE.finditer(text)]
    digits = "".join(ch for ch in own_phone if ch.isdigit())
    if len(digits) >= 5:
        # The resident's own number however it is written: digits with anything but letters between.
        pattern = r"\+?" + r"[\s()\-–.]*".join(re.escape(d) for d in digits[-10:])
        spans += [m.span() for m in re.finditer(pattern, text)]
    return _replace(text, spans, PHONE_NOTE)


def _without_names(text: str, own_name: str) -> tuple[str, int]:
    spans: list[tuple[int, int]] = []
    own = {w.casefold() for w in re.findall(r"\w{2,}", own_name)}
    if own:
        spans += [m.span() for m in re.finditer(r"\w+", text) if m.group().casefold() in own]
    morph = analyzer()
    for run in CAPITALISED_RUN.finditer(text):
        before = text[:run.start()].rstrip().rstrip(".").rsplit(maxsplit=1)
        if before and before[-1].casefold() in PLACE_WORDS:
            continue
        words = [(w, set(morph.parse(w.group())[0].tag.grammemes)) for w in WORD.finditer(run.group())]
        if not any(PERSON & grammemes for _, grammemes in words):
            continue
        spans += [(run.start() + w.start(), run.start() + w.end()) for w, grammemes in words
                  if (PERSON | {"Surn"}) & grammemes]
    return _replace(text, spans, NAME_NOTE)


def _replace(text: str, spans: list[tuple[int, int]], note: str) -> tuple[str, int]:
    """Replace the spans (overlapping ones merged; touching ones too, so "Иван Петров" is one note)."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and (start <= merged[-1][1] or not text[merged[-1][1]:start].strip()):
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in reversed(merged):
        text = text[:start] + note + text[end:]
    return text, len(merged)
