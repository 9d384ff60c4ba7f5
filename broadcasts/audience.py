"""Who a broadcast goes to: a filter over residents, stored with the broadcast as JSON.

Whatever the filter, only residents who gave consent and can be written to are chosen. The
SQL is in ``storage.broadcasts``; this is only the shape staff fill in (CLI, staff panel).
"""
from __future__ import annotations

from typing import Mapping

from pydantic import BaseModel, ConfigDict


class Audience(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: str | None = None          # subscribers of this topic (subscriptions.topics keys)
    channels: list[str] = []          # only these channels; empty: every channel
    languages: list[str] = []         # only residents with these languages; empty: any
    source: str | None = None         # residents whose first source is this poster
    poll: str | None = None           # residents who cast a ballot in the poll with this key
    # ...and, besides the topic's subscribers, whoever sent a work to the contest with this key
    # (its results reach its entrants whether or not they follow the topic)
    and_entrants_of: str | None = None

    def describe(self, topics: Mapping[str, str] | None = None, channels: Mapping[str, str] | None = None) -> str:
        """A short line for staff, in Russian: who the filter chooses. ``topics`` and
        ``channels`` give titles for the keys («Новости проекта», «веб-чат»); a key without one
        is shown as it is, in quotes."""
        def named(key: str, titles: Mapping[str, str] | None) -> str:
            return (titles or {}).get(key) or f"«{key}»"

        parts = []
        if self.topic:
            entrants = f" и участники конкурса «{self.and_entrants_of}»" if self.and_entrants_of else ""
            parts.append(f"подписчики темы {named(self.topic, topics)}{entrants}")
        elif self.and_entrants_of:
            parts.append(f"участники конкурса «{self.and_entrants_of}»")
        if self.channels:
            parts.append("каналы: " + ", ".join((channels or {}).get(c, c) for c in self.channels))
        if self.languages:
            parts.append("языки: " + ", ".join(self.languages))
        if self.source:
            parts.append(f"пришедшие из источника «{self.source}»")
        if self.poll:
            parts.append(f"проголосовавшие в голосовании «{self.poll}»")
        return "все жители, давшие согласие, которым можно написать" + ("; " + "; ".join(parts) if parts else "")
