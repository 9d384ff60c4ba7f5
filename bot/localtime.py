"""Times as the town reads them.

Storage keeps ISO 8601 in UTC (text order is time order); everything staff and residents read
— pages, exports, chat messages — is turned into the town's own zone here, with the zone named,
so that «06:20» on a proposal is the hour its author sent it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DATE_TIME = "%d.%m.%Y %H:%M"
DATE = "%d.%m.%Y"


@cache
def zone_named(name: str) -> ZoneInfo:
    """The zone, or a ValueError in Russian naming the bad value (shown when settings load)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"неизвестный часовой пояс «{name}»: нужно имя из базы IANA, "
                         f"например Asia/Chita или Europe/Moscow") from error


def parse_stamp(stamp: str | datetime | None) -> datetime | None:
    """A stored stamp as an aware datetime; naive stamps are UTC, as storage writes them."""
    if stamp is None or stamp == "":
        return None
    moment = stamp if isinstance(stamp, datetime) else datetime.fromisoformat(str(stamp))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def offset_label(offset: timedelta | None) -> str:
    """«UTC+9», «UTC+5:30», «UTC»: how Russian official texts name a zone."""
    minutes = int((offset or timedelta()).total_seconds() // 60)
    if not minutes:
        return "UTC"
    sign = "+" if minutes > 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


@dataclass(frozen=True)
class LocalTime:
    """The town's clock: one per application, built from ``project.time_zone``."""

    name: str = "Asia/Chita"

    @property
    def zone(self) -> ZoneInfo:
        return zone_named(self.name)

    def at(self, stamp: str | datetime | None) -> datetime | None:
        """The stored moment in the town's zone (aware)."""
        moment = parse_stamp(stamp)
        return moment.astimezone(self.zone) if moment else None

    def naive(self, stamp: str | datetime | None) -> datetime | None:
        """Local wall time without tzinfo: what a spreadsheet cell holds."""
        moment = self.at(stamp)
        return moment.replace(tzinfo=None) if moment else None

    def text(self, stamp: str | datetime | None, pattern: str = DATE_TIME) -> str:
        moment = self.at(stamp)
        return moment.strftime(pattern) if moment else ""

    def label(self, when: str | datetime | None = None) -> str:
        """«UTC+9» at a moment (now by default): the offset can change with the law."""
        moment = parse_stamp(when) or datetime.now(timezone.utc)
        return offset_label(moment.astimezone(self.zone).utcoffset())

    def stated(self, stamp: str | datetime | None) -> str:
        """The town's time with its offset, for text without a page footer: «10.06.2027 10:00 (UTC+9)»."""
        return f"{self.text(stamp)} ({self.label(stamp)})" if stamp else ""

    def from_wall(self, wall: datetime) -> datetime:
        """A time staff typed in the town's wall clock, as aware UTC; aware input is kept."""
        if wall.tzinfo is None:
            wall = wall.replace(tzinfo=self.zone)
        return wall.astimezone(timezone.utc)

    def typed(self, text: str) -> datetime:
        """A time as staff type it — «03.12.2026 10:00», ``2026-12-03T10:00`` (a browser's
        datetime-local field) or ISO with an offset — as aware UTC; without an offset it is the
        town's wall time. ValueError when it is none of these, or outside the calendar in UTC."""
        text = " ".join(text.split())
        try:
            wall = datetime.fromisoformat(text)
        except ValueError:
            wall = datetime.strptime(text, DATE_TIME)
        try:
            return self.from_wall(wall)
        except OverflowError:
            raise ValueError(f"{text}: outside the calendar") from None

    def midnight(self, day: date) -> str:
        """The start of the town's ``day`` as a stored stamp (ISO 8601 in UTC, whose text order
        is time order): «2 December» in Chita starts at 15:00 UTC on the 1st. At the calendar's
        ends, "" (before every stamp) or "9" (after every stamp)."""
        try:
            return self.from_wall(datetime.combine(day, time())).isoformat(timespec="microseconds")
        except OverflowError:
            return "" if day.year == 1 else "9"

    def today(self) -> date:
        return datetime.now(self.zone).date()
