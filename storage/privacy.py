"""A resident's right to see and erase their data (152-FZ arts. 14 and 21).

``forget`` runs in the transaction of the resident's last step. Deleting the residents row takes
with it (schema: ON DELETE CASCADE / SET NULL and the triggers of migrations 0003, 0004, 0006,
0011, 0016, 0018, 0024) subscriptions, broadcast deliveries, WhatsApp receipts, leaderboard names, phone
voter keys, one-time SMS codes, the supports of others' proposals, their digest marks and their offer
to help the project (erased here explicitly, so the record says so). Here goes the rest: what they contributed (kept
without them, or erased, as they chose), their replies in the outbox, their events in the inbox, and update ids that
embed their platform id. The confirmation of the erasure is written after this, to the outbox, marked to be erased
once delivered (``Outbox.erase_after_delivery``). Files nothing names any more are returned for
deletion after the commit; the write-ahead log is checkpointed then too (``Database.checkpoint``).
"""
from __future__ import annotations

import base64
import json
from collections.abc import Mapping

from storage.attachment_references import AttachmentReferences, keys_in
from storage.clock import now
from storage.contributions import Contributions
from storage.inbox import Inbox
from storage.outbox import Outbox
from storage.ports.privacy import PROFILE, Erasure, ErasureMode
from storage.proposals import Proposals
from storage.residents import Resident
from storage.sql import SqlConnection
from storage.subscriptions import Subscriptions
from storage.volunteers import Volunteers


class Privacy:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    async def forget(self, resident: Resident, mode: ErasureMode = ErasureMode.KEEP) -> Erasure:
        """Erase the profile and everything tied to it (see the module's docstring)."""
        kept = await self._kept_anonymously(resident.id)
        files = keys_in(json.dumps(resident.state_data))  # photos of a draft never sent
        contributions = Contributions(self._db)
        if mode is ErasureMode.ERASE:
            outcome = await contributions.erase(resident.id)
        else:
            outcome = await contributions.strip_author(resident.id, resident.display_name, resident.phone)
        files |= outcome.files
        await self._db.execute(
            "UPDATE proposals SET author_name = '', author_contact = '' WHERE resident_id = ?", (resident.id,))
        if resident.phone:  # the same person's proposals taken by phone or on paper
            await self.forget_phone(resident.phone)
        anonymised = await Proposals(self._db).disown(resident.id)
        subscriptions = await Subscriptions(self._db).unsubscribe_all(resident.id)
        files |= await self._forget_events(resident)
        messages = await Outbox(self._db).delete_for_recipient(resident.channel, resident.external_id)
        join_offer = await Volunteers(self._db).leave(resident.id)
        await self._db.execute("DELETE FROM residents WHERE id = ?", (resident.id,))
        if mode is ErasureMode.ERASE or outcome.redacted.total:
            await contributions.compact_search_index()
        unnamed = tuple(sorted(files - await AttachmentReferences(self._db).still_named(files)))
        erasure = Erasure(mode, subscriptions, messages, anonymised, outcome.proposals if mode is ErasureMode.ERASE
                          else 0, outcome.survey_answers, outcome.contest_entries, outcome.redacted.total, unnamed)
        await self._record(resident, erasure, kept, outcome.photos, join_offer)
        return erasure

    async def forget_entry_author(self, proposal_id: int) -> int:
        """The author of an operator-entered proposal asked to be erased: with a number, from every
        proposal entered for that number (``forget_phone``); without, from this one. How many."""
        rows = await self._db.execute_fetchall(
            "SELECT author_phone FROM proposals WHERE id = ? AND resident_id IS NULL", (proposal_id,))
        if not rows:
            return 0
        if rows[0][0]:
            return await self.forget_phone(rows[0][0])
        cursor = await self._db.execute(
            "UPDATE proposals SET author_name = '', author_contact = '', author_consent_at = NULL WHERE id = ?",
            (proposal_id,))
        return cursor.rowcount

    async def forget_phone(self, phone: str) -> int:
        """Erase the author's name, contact, number and consent from every proposal an operator
        entered for the person with this number (E.164); the proposals stay, without an author.
        Returns how many proposals named them."""
        cursor = await self._db.execute(
            "UPDATE proposals SET author_name = '', author_contact = '', author_phone = '', author_consent_at = NULL"
            " WHERE author_phone = ?", (phone,))
        return cursor.rowcount

    async def _forget_events(self, resident: Resident) -> set[str]:
        """The inbox: payloads of failed and dead events, error texts, update ids naming them.
        Returns the file keys the erased payloads named."""
        inbox = Inbox(self._db)
        payloads = await inbox.erase_payloads_of(resident.channel, resident.external_id)
        answered = await self._db.execute_fetchall(
            "SELECT DISTINCT inbox_id FROM outbox WHERE channel = ? AND external_id = ? AND inbox_id IS NOT NULL",
            (resident.channel, resident.external_id))
        await inbox.erase_errors([row[0] for row in answered])
        await inbox.rename_keys_naming(resident.channel, resident.external_id, encoded(resident.external_id))
        return keys_in(*payloads)

    async def _record(self, resident: Resident, erasure: Erasure, kept: Mapping[str, object], photos: int,
                      join_offer: bool) -> None:
        """The administration's record of what was erased and what was kept (it names no one)."""
        erased = {"profile": PROFILE, "deleted_profile": True, "deleted_subscriptions": erasure.deleted_subscriptions,
                  "deleted_messages": erasure.deleted_messages, "deleted_files": len(erasure.files),
                  "deleted_join_offer": join_offer}
        if erasure.mode is ErasureMode.ERASE:
            erased |= {"proposal_texts_and_places": erasure.erased_proposals, "proposal_photos": photos,
                       "survey_free_answers": erasure.erased_survey_answers,
                       "contest_entries": erasure.erased_contest_entries}
            kept = {"proposals_without_author": erasure.anonymised_proposals,
                    "proposals_kept_as": "category, channel, source, status and dates, without text, place or photos",
                    **kept, "contest_entries_without_author": 0}
        else:
            erased |= {"names_phones_and_emails_hidden_in_kept_texts": erasure.hidden_names_and_phones}
            kept = {"proposals_without_author": erasure.anonymised_proposals, **kept}
        await self._db.execute(
            "INSERT INTO deletions (resident_id, channel, deleted_at, what, kept) VALUES (?, ?, ?, ?, ?)",
            (resident.id, resident.channel, now(), json.dumps({"mode": erasure.mode.value, **erased}),
             json.dumps(kept)))

    async def _kept_anonymously(self, resident_id: int) -> dict[str, int]:
        rows = await self._db.execute_fetchall(
            "SELECT (SELECT count(*) FROM ballots WHERE resident_id = :id),"
            " (SELECT count(*) FROM survey_responses WHERE resident_id = :id),"
            " (SELECT count(*) FROM contest_entries WHERE resident_id = :id),"
            " (SELECT count(*) FROM quiz_attempts WHERE resident_id = :id)", {"id": resident_id})
        ballots, responses, entries, attempts = rows[0]
        return {"votes_without_voter": ballots, "survey_responses_without_respondent": responses,
                "contest_entries_without_author": entries, "quiz_scores_without_name": attempts}


def encoded(external_id: str) -> list[str]:
    """The platform id as it shows base64-encoded inside other ids, at each of the three byte
    alignments (a WhatsApp message id, ``wamid.HBgL…``, encodes the number the message was
    exchanged with). Only the characters made of the id's own bits are taken, and only for ids
    long enough that such a piece cannot match by chance."""
    raw = external_id.encode()
    if len(raw) < 8:
        return []
    found = set()
    for offset in range(3):
        first, last = -(-8 * offset // 6), 8 * (offset + len(raw)) // 6
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            found.add(encode(b"\0" * offset + raw).decode()[first:last])
    return sorted(found)
