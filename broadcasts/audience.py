"""Who a broadcast goes to: a filter over residents, stored with the broadcast as JSON.

Whatever the filter, only residents who gave consent and can be written to are chosen. The
SQL is in ``storage.broadcasts``; this is only the shape staff fill in (CLI, staff panel).
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Audience(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: str | None = None          # subscribers of this topic (subscriptions.topics keys)
    channels: list[str] = []          # only these channels; empty: every channel
    languages: list[str] = []         # only residents with these languages; empty: any
    source: str | None = None         # residents whose first source is this poster
    poll: str | None = None           # residents who cast a ballot in the poll with this key

    def describe(self) -> str:
        """A short line for staff: what the filter is."""
        parts = []
        if self.topic:
            parts.append(f"subscribers of {self.topic!r}")
        if self.channels:
            parts.append("on " + ", ".join(self.channels))
        if self.languages:
            parts.append("in " + ", ".join(self.languages))
        if self.source:
            parts.append(f"who came from {self.source!r}")
        if self.poll:
            parts.append(f"who voted in {self.poll!r}")
        return "every reachable resident with consent" + (" " + "; ".join(parts) if parts else "")
