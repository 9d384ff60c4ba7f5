"""Contests as staff define them in the content file (``contests:``): entries, then a public
vote; and how one is stored. Registered with the contests feature (``handlers/contests.py``).
"""
from __future__ import annotations

from datetime import datetime

from pydantic import Field, ValidationInfo, field_validator, model_validator

from bot.core.content import Key, Option, Scheduled, aware, unique_keys, utc
from bot.core.plugins import ContentSection
from storage.ports.content import ContentKind, StoredItem


class Contest(Scheduled):
    key: str = Key
    title: dict[str, str] = Field(min_length=1)
    description: dict[str, str] = {}
    categories: list[Option] = Field(min_length=1, max_length=10)
    age_groups: list[Option] = Field(min_length=1, max_length=10)
    voting_opens: datetime
    voting_closes: datetime
    max_text_length: int = Field(3000, ge=10)

    @field_validator("voting_opens", "voting_closes")
    @classmethod
    def _voting_with_zone(cls, value: datetime, info: ValidationInfo) -> datetime:
        return aware(value, info)

    @model_validator(mode="after")
    def _voting_after_entries(self) -> "Contest":
        unique_keys(self.categories, "category")
        unique_keys(self.age_groups, "age group")
        if self.voting_closes <= self.voting_opens:
            raise ValueError("voting_closes должно быть позже voting_opens")
        if self.voting_opens < self.opens:
            raise ValueError("голосование не может начаться раньше приёма работ")
        return self

    def accepting_entries(self, now: datetime) -> bool:
        return self.is_open(now)

    def voting(self, now: datetime) -> bool:
        return self.voting_opens <= now < self.voting_closes


def stored(contest: Contest) -> StoredItem:
    return StoredItem(ContentKind.CONTESTS, contest.key, contest.model_dump_json(),
                      {"opens_at": utc(contest.opens), "closes_at": utc(contest.closes),
                       "voting_opens_at": utc(contest.voting_opens), "voting_closes_at": utc(contest.voting_closes)})


CONTENT = ContentSection("contests", Contest, what="contest", words=("конкурс", "конкурса", "конкурсов"),
                         item=stored)
