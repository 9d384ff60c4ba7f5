"""Episode series as staff define them in the content file (``series:``): each episode announced
once, at its air time, to the series' topic; and how a series is stored (``storage.episodes``).
Registered with the episodes feature (``handlers/episodes.py``); announced by
``broadcasts/episodes.py``.
"""
from __future__ import annotations

import re
from datetime import datetime

from pydantic import Field, ValidationInfo, field_validator, model_validator

from bot.core.content import Key, Model, aware, utc
from bot.core.plugins import ContentSection
from storage.ports.episodes import StoredEpisode, StoredSeries


class Episode(Model):
    """One episode of a series: announced once, at ``air_at``, to the series' subscribers."""

    number: int = Field(ge=1, le=10000)
    title: dict[str, str] = Field(min_length=1)
    description: dict[str, str] = {}
    video_url: str = ""  # a link to the video (https://…)
    file_key: str = ""   # or a video file, as a path inside storage.attachments_dir
    air_at: datetime

    @field_validator("air_at")
    @classmethod
    def _with_zone(cls, value: datetime, info: ValidationInfo) -> datetime:
        return aware(value, info)

    @field_validator("video_url")
    @classmethod
    def _a_web_link(cls, value: str) -> str:
        if value and not re.fullmatch(r"https?://[^\s/]+\S*", value):
            raise ValueError("нужна ссылка, начинающаяся с https:// (или http://), без пробелов")
        return value

    @field_validator("file_key")
    @classmethod
    def _inside_the_attachments(cls, value: str) -> str:
        if value and not re.fullmatch(r"(?:[\w\-]+/)*[\w\-]+\.[A-Za-z0-9]+", value):
            raise ValueError("нужно имя файла в папке вложений, например episodes/01.mp4 (без .. и /)")
        return value

    @model_validator(mode="after")
    def _watchable(self) -> "Episode":
        if not self.video_url and not self.file_key:
            raise ValueError("эпизоду нужен video_url (https://…) или file_key (файл во вложениях)")
        return self


class Series(Model):
    key: str = Key
    title: dict[str, str] = Field(min_length=1)
    topic: str = Field("episodes", pattern=r"^[a-z0-9_]{1,24}$")  # subscribers of this topic get each episode
    episodes: list[Episode] = Field(min_length=1, max_length=500)

    @field_validator("topic")
    @classmethod
    def _a_configured_topic(cls, value: str, info: ValidationInfo) -> str:
        topics = (info.context or {}).get("topics")
        if topics is not None and value not in topics:
            raise ValueError(f"{value!r} — не тема подписки из настроек "
                             f"(subscriptions.topics: {', '.join(sorted(topics)) or 'нет'}), её никто не получит")
        return value

    @model_validator(mode="after")
    def _numbered_once(self) -> "Series":
        numbers = [e.number for e in self.episodes]
        repeated = sorted({n for n in numbers if numbers.count(n) > 1})
        if repeated:
            raise ValueError(f"номера эпизодов должны быть разными; повторяются: {', '.join(map(str, repeated))}")
        return self

    def episode(self, number: int) -> Episode | None:
        return next((e for e in self.episodes if e.number == number), None)


def stored(series: Series) -> StoredSeries:
    return StoredSeries(series.key, series.topic, series.model_dump_json(include={"key", "title", "topic"}),
                        tuple(StoredEpisode(e.number, e.model_dump_json(exclude={"number", "air_at"}), utc(e.air_at))
                              for e in series.episodes))


CONTENT = ContentSection("series", Series, what="series", words=("сериал", "сериала", "сериалов"), series=stored)
