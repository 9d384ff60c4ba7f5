"""The waves of a repeated survey («срез мнений» every three months): when each opens and closes.

A survey's ``waves:`` in the content file names the first wave and a repeat interval, or lists
the dates; every wave lasts as long (``lasts``). Waves are numbered from 1 in time order and may
not overlap, so at any moment at most one is open. Intervals are counted on the town's calendar:
«every 3 months» from 15 January 10:00 is 15 April 10:00 whatever the lengths of the months (the
31st becomes the last day of a shorter month).
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from bot.core.content import Model, aware

MAX_WAVES = 100  # as many as 25 years of quarterly waves; more is a mistake in the schedule

UNITS = {
    "hours": ("hour", "hours", "час", "часа", "часов"),
    "days": ("day", "days", "день", "дня", "дней"),
    "weeks": ("week", "weeks", "неделя", "недели", "недель"),
    "months": ("month", "months", "месяц", "месяца", "месяцев"),
}
_UNIT_OF = {word: unit for unit, words in UNITS.items() for word in words}
_INTERVAL = re.compile(r"^\s*(\d{1,4})\s+(\w+)\s*$")


def parsed(text: str) -> tuple[int, str]:
    """«3 months», «2 недели» → (3, "months"), (2, "weeks"); ValueError in Russian otherwise."""
    match = _INTERVAL.match(text)
    unit = _UNIT_OF.get(match.group(2).lower()) if match else None
    if match is None or unit is None or int(match.group(1)) < 1:
        raise ValueError(f"«{text}» — не промежуток времени: нужно число и единица, например «3 months», "
                         f"«14 days», «2 weeks», «12 hours» (или «3 месяца», «14 дней»)")
    return int(match.group(1)), unit


def _interval(text: str) -> str:
    parsed(text)
    return text


Interval = Annotated[str, AfterValidator(_interval)]


def shifted(moment: datetime, interval: str, times: int = 1) -> datetime:
    """``moment`` plus ``times`` intervals, on the wall clock of its own zone."""
    count, unit = parsed(interval)
    count *= times
    if unit == "months":
        year, month = divmod(moment.month - 1 + count, 12)
        year += moment.year
        day = min(moment.day, calendar.monthrange(year, month + 1)[1])
        return moment.replace(year=year, month=month + 1, day=day)
    return moment + timedelta(**{unit: count})


@dataclass(frozen=True)
class Wave:
    number: int
    opens: datetime
    closes: datetime

    def is_open(self, now: datetime) -> bool:
        return self.opens <= now < self.closes


class WaveSchedule(Model):
    """``first`` and ``every`` (and optionally ``count``), or ``dates``; each wave ``lasts``."""

    first: datetime | None = None
    every: Interval | None = None
    count: int | None = Field(None, ge=1, le=MAX_WAVES)
    dates: list[datetime] = Field([], max_length=MAX_WAVES)
    lasts: Interval

    @field_validator("first")
    @classmethod
    def _first_with_zone(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        return None if value is None else aware(value, info)

    @field_validator("dates")
    @classmethod
    def _dates_with_zone(cls, value: list[datetime], info: ValidationInfo) -> list[datetime]:
        return [aware(moment, info) for moment in value]

    @model_validator(mode="after")
    def _one_way(self) -> "WaveSchedule":
        repeated = self.first is not None or self.every is not None
        if repeated and self.dates:
            raise ValueError("волны задаются или first и every, или списком dates — не тем и другим сразу")
        if not repeated and not self.dates:
            raise ValueError("у волн нужны first и every (например every: 3 months) или список dates")
        if repeated and (self.first is None or self.every is None):
            raise ValueError("для повторяющихся волн нужны оба поля: first (начало первой) и every")
        if self.dates and self.count is not None:
            raise ValueError("count бывает только с every: в списке dates волн столько, сколько дат")
        for earlier, later in zip(self.dates, self.dates[1:]):
            if later <= earlier:
                raise ValueError("даты волн должны идти по возрастанию и не повторяться")
        return self

    def _starts(self, closes: datetime) -> list[datetime]:
        if self.dates:
            return list(self.dates)
        assert self.first is not None and self.every is not None
        starts: list[datetime] = []
        while self.count is None or len(starts) < self.count:
            start = shifted(self.first, self.every, len(starts))
            if self.count is None and shifted(start, self.lasts) > closes:
                break
            starts.append(start)
            if len(starts) > MAX_WAVES:
                raise ValueError(f"волн получается больше {MAX_WAVES}: увеличьте every или укажите count")
        return starts

    def dates_within(self, closes: datetime) -> tuple[Wave, ...]:
        """The waves, numbered from 1 (``closes`` is the survey's: repeats stop before it)."""
        return tuple(Wave(number, start, shifted(start, self.lasts))
                     for number, start in enumerate(self._starts(closes), start=1))

    def check_inside(self, opens: datetime, closes: datetime) -> None:
        """Every wave within the survey's opens..closes, none overlapping the next."""
        waves = self.dates_within(closes)
        if not waves:
            raise ValueError("ни одна волна не помещается между opens и closes опроса")
        if waves[0].opens < opens:
            raise ValueError("первая волна начинается раньше, чем открывается опрос (opens)")
        if waves[-1].closes > closes:
            raise ValueError(f"волна {waves[-1].number} заканчивается позже, чем закрывается опрос (closes)")
        for wave, following in zip(waves, waves[1:]):
            if wave.closes > following.opens:
                raise ValueError(f"волна {wave.number} ещё идёт, когда начинается волна {following.number}: "
                                 f"lasts должно быть не длиннее промежутка между волнами")
