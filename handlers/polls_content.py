"""Polls as staff define them in the content file (``polls:``), and how one is stored.

Registered with the polls feature (``handlers/polls.py``, ``FEATURE``); the application reads
the file (``bot/content.py``).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationInfo, model_validator

from bot.core.content import Key, Option, Scheduled, unique_keys, utc
from bot.core.plugins import ContentSection
from bot.geometry import Geometry, geometries_from_file
from storage.ports.content import ContentKind, StoredItem
from storage.statuses import PollKind


class MapOption(Option):
    """An option; on a map poll, with the place or zone it stands for."""

    geometry: Geometry | None = None


class Poll(Scheduled):
    key: str = Key
    title: dict[str, str] = Field(min_length=1)
    description: dict[str, str] = {}
    kind: PollKind = PollKind.SINGLE
    options: list[MapOption] = Field(min_length=2, max_length=30)
    max_choices: int = Field(1, ge=1)
    allow_change: bool = False
    require_phone: bool = False
    results: Literal["live", "after_close"] = "after_close"

    @model_validator(mode="before")
    @classmethod
    def _geojson_file(cls, data: Any, info: ValidationInfo) -> Any:
        """``geojson: zones.geojson`` (beside the content file): its features, keyed by option,
        become the options' geometry, so that what is stored carries them and needs no file."""
        if not isinstance(data, dict) or "geojson" not in data:
            return data
        data = dict(data)
        name = data.pop("geojson")
        folder = (info.context or {}).get("folder")
        if not isinstance(name, str) or not name or folder is None:
            raise ValueError("geojson: укажите путь к файлу рядом с файлом контента, например zones.geojson")
        path = Path(folder) / name
        try:
            features = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise ValueError(f"geojson: файл {path} не читается: {error.strerror}") from None
        except ValueError as error:
            raise ValueError(f"geojson: файл {path} — не JSON: {error}") from None
        options = [dict(o) if isinstance(o, dict) else o for o in data.get("options") or []]
        keys = [o.get("key") for o in options if isinstance(o, dict)]
        for key, geometry in geometries_from_file(features, keys).items():
            for option in options:
                if isinstance(option, dict) and option.get("key") == key:
                    option["geometry"] = geometry
        data["options"] = options
        return data

    @model_validator(mode="after")
    def _consistent(self) -> "Poll":
        unique_keys(self.options, "option")
        placed = [o.key for o in self.options if o.geometry is not None]
        if placed and len(placed) != len(self.options):
            missing = ", ".join(o.key for o in self.options if o.geometry is None)
            raise ValueError(f"на карте должны быть все варианты голосования; нет места у: {missing}")
        if placed and self.kind != PollKind.SINGLE:
            raise ValueError("голосование на карте бывает только с одним ответом (kind: single)")
        if self.kind == PollKind.MULTIPLE and not 2 <= self.max_choices <= len(self.options):
            raise ValueError("голосованию с несколькими ответами нужно max_choices от 2 до числа вариантов")
        if self.kind == PollKind.TOP3 and len(self.options) < 3:
            raise ValueError("голосованию «тройка лучших» нужно хотя бы 3 варианта")
        return self

    def option(self, key: str) -> MapOption | None:
        return next((o for o in self.options if o.key == key), None)

    @property
    def on_map(self) -> bool:
        """Its options are places or zones: messengers get their picture, residents may send a place."""
        return any(o.geometry is not None for o in self.options)


def stored(poll: Poll) -> StoredItem:
    return StoredItem(ContentKind.POLLS, poll.key, poll.model_dump_json(),
                      {"opens_at": utc(poll.opens), "closes_at": utc(poll.closes)}, {"poll_kind": poll.kind})


CONTENT = ContentSection("polls", Poll, what="poll", words=("голосование", "голосования", "голосований"),
                         item=stored)
