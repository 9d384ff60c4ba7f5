"""What every piece of content staff define is made of: keyed, frozen models, often scheduled.

Each feature's own models (a poll, a survey, a series …) live beside the feature and are built
from these; the application reads the content file into them (``bot/content.py``).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Sequence
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

# pydantic-core matches patterns with Rust's regex, where "$" is the very end of the text (a
# trailing newline is refused; tests/test_input_patterns.py) and "\Z" does not exist.
Key: Any = Field(pattern=r"^[a-z0-9_]{1,24}$")


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def text_in(texts: dict[str, str], language: str) -> str:
    return texts.get(language) or texts.get("ru") or next(iter(texts.values()), "")


def utc(moment: datetime) -> str:
    """Times are stored in UTC so that comparing the text compares the moments."""
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def aware(value: datetime, info: ValidationInfo) -> datetime:
    """A time without an offset is the town's wall time (``time_zone`` in the validation
    context, the project's): staff write «2026-06-25T08:00» as they read it on the town's clocks."""
    if value.tzinfo is not None:
        return value
    zone = (info.context or {}).get("time_zone")
    if not zone:
        raise ValueError("укажите часовой пояс, например 2026-06-25T08:00:00+09:00")
    return value.replace(tzinfo=ZoneInfo(zone))


def unique_keys(items: Sequence[Any], what: str) -> None:
    keys = [item.key for item in items]
    duplicated = sorted({k for k in keys if keys.count(k) > 1})
    if duplicated:
        raise ValueError(f"ключи ({what}) должны быть разными; повторяются: {', '.join(duplicated)}")


class Option(Model):
    key: str = Key
    title: dict[str, str] = Field(min_length=1)


class Scheduled(Model):
    opens: datetime
    closes: datetime

    @field_validator("opens", "closes")
    @classmethod
    def _with_zone(cls, value: datetime, info: ValidationInfo) -> datetime:
        return aware(value, info)

    @model_validator(mode="after")
    def _in_order(self) -> "Scheduled":
        if self.closes <= self.opens:
            raise ValueError("closes должно быть позже opens")
        return self

    def is_open(self, now: datetime) -> bool:
        return self.opens <= now < self.closes
