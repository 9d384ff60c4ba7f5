"""What a resident contributed, as /forget leaves it: kept without them, or erased.

Contributions are proposals (their text, address, map point, photos and the corrections the
author sent), survey answers, and contest works. Kept (the default), they stay as they are,
without the author and without the names, phones and e-mail addresses written in them
(``storage.redaction``). Erased, a proposal keeps only what counts it (category, channel,
source, status, dates), so the campaign's figures stay true; its history says it was erased.
Survey answers lose what the resident wrote, photographed or pointed at (choices, scales and
numbers stay, counted without a respondent), and contest works are deleted with the votes they
had. Both ways return the file keys that were named, so the files can go if nothing else names
them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from storage import search
from storage.attachment_references import FILE_KEY, keys_in
from storage.clock import now
from storage.redaction import Redacted, redact, redact_json
from storage.sql import SqlConnection

FREE_ANSWERS = ("text", "photo", "location")  # survey question types whose answer is the resident's own


@dataclass
class Outcome:
    proposals: int = 0
    survey_answers: int = 0
    contest_entries: int = 0
    photos: int = 0
    redacted: Redacted = field(default_factory=Redacted)
    files: set[str] = field(default_factory=set)


class Contributions:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    # -- erased --------------------------------------------------------------------------------

    async def erase(self, resident_id: int) -> Outcome:
        outcome = Outcome()
        await self._erase_proposals(resident_id, outcome)
        await self._erase_survey_answers(resident_id, outcome)
        await self._erase_contest_entries(resident_id, outcome)
        return outcome

    async def _erase_proposals(self, resident_id: int, outcome: Outcome) -> None:
        ids = [row[0] for row in await self._db.execute_fetchall(
            "SELECT id FROM proposals WHERE resident_id = ?", (resident_id,))]
        if not ids:
            return
        marks = ", ".join("?" * len(ids))
        photos = list(await self._db.execute_fetchall(
            f"SELECT file_key FROM proposal_attachments WHERE proposal_id IN ({marks})", ids))
        outcome.files |= {row[0] for row in photos}
        outcome.photos += len(photos)
        await self._db.execute(f"DELETE FROM proposal_attachments WHERE proposal_id IN ({marks})", ids)
        stamp = now()
        await self._db.execute(
            "UPDATE proposals SET text = '', address = '', latitude = NULL, longitude = NULL, updated_at = ?"
            f" WHERE id IN ({marks})", (stamp, *ids))
        await self._db.execute(
            f"UPDATE proposal_events SET text = '' WHERE kind = 'correction' AND proposal_id IN ({marks})", ids)
        await self._db.executemany(
            "INSERT INTO proposal_events (proposal_id, at, actor, kind) VALUES (?, ?, '', 'erased')",
            [(i, stamp) for i in ids])
        outcome.proposals += len(ids)

    async def _erase_survey_answers(self, resident_id: int, outcome: Outcome) -> None:
        rows = await self._db.execute_fetchall(
            "SELECT r.id, r.answers, s.definition FROM survey_responses r JOIN content_items s ON s.id = r.survey_id"
            " WHERE r.resident_id = ?", (resident_id,))
        for response_id, answers_json, definition in rows:
            answers = json.loads(answers_json)
            free = {q["key"] for q in json.loads(definition).get("questions", []) if q.get("type") in FREE_ANSWERS}
            erased = {key: answers.pop(key) for key in list(answers) if key in free}
            if not erased:
                continue
            outcome.files |= keys_in(json.dumps(erased))
            outcome.survey_answers += len(erased)
            await self._db.execute("UPDATE survey_responses SET answers = ? WHERE id = ?",
                                   (json.dumps(answers, ensure_ascii=False), response_id))

    async def _erase_contest_entries(self, resident_id: int, outcome: Outcome) -> None:
        rows = list(await self._db.execute_fetchall(
            "DELETE FROM contest_entries WHERE resident_id = ? RETURNING file_key", (resident_id,)))
        outcome.files |= {row[0] for row in rows if row[0]}
        outcome.contest_entries += len(rows)

    # -- kept without the author -----------------------------------------------------------------

    async def strip_author(self, resident_id: int, name: str, phone: str) -> Outcome:
        """Hide the author's (and anyone's) name, phone and e-mail in what is kept."""
        outcome = Outcome()
        found = outcome.redacted
        for proposal_id, text, address in await self._db.execute_fetchall(
                "SELECT id, text, address FROM proposals WHERE resident_id = ?", (resident_id,)):
            new_text, in_text = redact(text, name, phone)
            new_address, in_address = redact(address, name, phone)
            if in_text.total or in_address.total:
                await self._db.execute("UPDATE proposals SET text = ?, address = ? WHERE id = ?",
                                       (new_text, new_address, proposal_id))
                found.add(in_text)
                found.add(in_address)
            outcome.proposals += 1
        for event_id, text in await self._db.execute_fetchall(
                "SELECT e.id, e.text FROM proposal_events e JOIN proposals p ON p.id = e.proposal_id"
                " WHERE p.resident_id = ? AND e.kind = 'correction'", (resident_id,)):
            new_text, in_text = redact(text, name, phone)
            if in_text.total:
                await self._db.execute("UPDATE proposal_events SET text = ? WHERE id = ?", (new_text, event_id))
                found.add(in_text)
        for response_id, answers in await self._db.execute_fetchall(
                "SELECT id, answers FROM survey_responses WHERE resident_id = ?", (resident_id,)):
            cleaned, in_answers = redact_json(json.loads(answers), name, phone, keep=FILE_KEY)
            if in_answers.total:
                await self._db.execute("UPDATE survey_responses SET answers = ? WHERE id = ?",
                                       (json.dumps(cleaned, ensure_ascii=False), response_id))
                found.add(in_answers)
        for entry_id, text in await self._db.execute_fetchall(
                "SELECT id, text FROM contest_entries WHERE resident_id = ?", (resident_id,)):
            new_text, in_text = redact(text, name, phone)
            if in_text.total:
                await self._db.execute("UPDATE contest_entries SET text = ? WHERE id = ?", (new_text, entry_id))
                found.add(in_text)
        return outcome

    async def compact_search_index(self) -> None:
        """Rewrite the search indexes in one piece (``storage.search.compact``), so that the
        erased or hidden words are not left behind in their older segments."""
        await search.compact(self._db)
