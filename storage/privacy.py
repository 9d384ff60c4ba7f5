"""A resident's right to see and erase their data (152-FZ arts. 14 and 21)."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import aiosqlite

from storage.clock import now
from storage.outbox import Outbox
from storage.proposals import Proposals
from storage.residents import Resident
from storage.subscriptions import Subscriptions


@dataclass(frozen=True)
class Erasure:
    deleted_profile: bool
    deleted_subscriptions: int
    deleted_messages: int
    anonymised_proposals: int


class Privacy:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def forget(self, resident: Resident) -> Erasure:
        """Erase the profile and everything tied to it; keep proposals, votes and answers without
        their author (the schema's ON DELETE SET NULL and triggers unlink the rest)."""
        kept = await self._kept_anonymously(resident.id)
        anonymised = await Proposals(self._db).disown(resident.id)
        subscriptions = await Subscriptions(self._db).unsubscribe_all(resident.id)
        messages = await Outbox(self._db).delete_for_recipient(resident.channel, resident.external_id)
        await self._db.execute("DELETE FROM residents WHERE id = ?", (resident.id,))
        erasure = Erasure(True, subscriptions, messages, anonymised)
        await self._db.execute(
            "INSERT INTO deletions (resident_id, channel, deleted_at, what, kept) VALUES (?, ?, ?, ?, ?)",
            (resident.id, resident.channel, now(),
             json.dumps({"profile": ["display_name", "language", "phone", "consent", "source",
                                     "conversation"], **asdict(erasure)}),
             json.dumps({"proposals_without_author": anonymised, **kept})))
        return erasure

    async def _kept_anonymously(self, resident_id: int) -> dict[str, int]:
        rows = await self._db.execute_fetchall(
            "SELECT (SELECT count(*) FROM ballots WHERE resident_id = :id),"
            " (SELECT count(*) FROM survey_responses WHERE resident_id = :id),"
            " (SELECT count(*) FROM contest_entries WHERE resident_id = :id),"
            " (SELECT count(*) FROM quiz_attempts WHERE resident_id = :id)", {"id": resident_id})
        ballots, responses, entries, attempts = rows[0]
        return {"votes_without_voter": ballots, "survey_responses_without_respondent": responses,
                "contest_entries_without_author": entries, "quiz_scores_without_name": attempts}
