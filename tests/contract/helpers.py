"""Small builders the contract tests share, all through the ports."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from storage.ports.content import ContentKind, StoredItem
from storage.ports.proposals import NewProposal
from storage.ports.repositories import Database
from storage.ports.residents import Resident

OPEN = {"opens_at": "2020-01-01T00:00:00+00:00", "closes_at": "2999-01-01T00:00:00+00:00"}


async def resident(db: Database, external_id: str, *, channel: str = "webchat", consent: bool = True,
                   language: str = "ru", name: str = "") -> Resident:
    async with db.transaction() as tx:
        made = await tx.residents.get_or_create(channel, external_id)
        await tx.residents.set_language(made.id, language)
        if consent:
            await tx.residents.record_consent(made.id, "v1", name or f"Житель {external_id}")
    found = await db.reader.residents.get(made.id)
    assert found is not None
    return found


async def proposal(db: Database, author: Resident | None, text: str, *, category: str = "greenery",
                   photos: tuple[tuple[str, str], ...] = (), status: str | None = None) -> int:
    async with db.transaction() as tx:
        proposal_id = await tx.proposals.create(NewProposal(
            resident_id=author.id if author else None, channel=author.channel if author else "operator",
            source=None, category=category, text=text, photos=photos))
        if status is not None:
            await tx.moderation.set_status(proposal_id, status, "contract")
    return proposal_id


async def content(db: Database, kind: ContentKind, key: str, definition: dict[str, Any] | None = None,
                  times: dict[str, str] | None = None, extra: dict[str, str] | None = None) -> int:
    if times is None:
        times = dict(OPEN)
        if kind is ContentKind.CONTESTS:
            times |= {"voting_opens_at": OPEN["opens_at"], "voting_closes_at": OPEN["closes_at"]}
    if extra is None:
        extra = {"poll_kind": "single"} if kind is ContentKind.POLLS else {}
    async with db.transaction() as tx:
        await tx.content.store([StoredItem(kind, key, json.dumps(definition or {"key": key}), times, extra)])
        found = await tx.content.get(kind, key)
    assert found is not None
    return found[0]


@dataclass
class Audience:
    """What a broadcast's audience is to storage (``storage.ports.broadcasts.AudienceFilter``)."""

    topic: str | None = None
    channels: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    source: str | None = None
    poll: str | None = None
    and_entrants_of: str | None = None

    def model_dump_json(self) -> str:
        return json.dumps({"topic": self.topic, "channels": self.channels, "languages": self.languages,
                           "source": self.source, "poll": self.poll, "and_entrants_of": self.and_entrants_of})
