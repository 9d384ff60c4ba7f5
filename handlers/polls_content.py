"""Polls as staff define them in the content file (``polls:``), and how one is stored.

Registered with the polls feature (``handlers/polls.py``, ``FEATURE``); the application reads
the file (``bot/content.py``).
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from bot.core.content import Key, Option, Scheduled, unique_keys, utc
from bot.core.plugins import ContentSection
from storage.ports.content import ContentKind, StoredItem
from storage.statuses import PollKind


class Poll(Scheduled):
    key: str = Key
    title: dict[str, str] = Field(min_length=1)
    description: dict[str, str] = {}
    kind: PollKind = PollKind.SINGLE
    options: list[Option] = Field(min_length=2, max_length=30)
    max_choices: int = Field(1, ge=1)
    allow_change: bool = False
    require_phone: bool = False
    results: Literal["live", "after_close"] = "after_close"

    @model_validator(mode="after")
    def _consistent(self) -> "Poll":
        unique_keys(self.options, "option")
        if self.kind == PollKind.MULTIPLE and not 2 <= self.max_choices <= len(self.options):
            raise ValueError("голосованию с несколькими ответами нужно max_choices от 2 до числа вариантов")
        if self.kind == PollKind.TOP3 and len(self.options) < 3:
            raise ValueError("голосованию «тройка лучших» нужно хотя бы 3 варианта")
        return self

    def option(self, key: str) -> Option | None:
        return next((o for o in self.options if o.key == key), None)


def stored(poll: Poll) -> StoredItem:
    return StoredItem(ContentKind.POLLS, poll.key, poll.model_dump_json(),
                      {"opens_at": utc(poll.opens), "closes_at": utc(poll.closes)}, {"poll_kind": poll.kind})


CONTENT = ContentSection("polls", Poll, what="poll", words=("голосование", "голосования", "голосований"),
                         item=stored)
