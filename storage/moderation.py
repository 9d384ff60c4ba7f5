"""Moderation's SQL: finding proposals, their history, statuses, opinions, corrections, templates.

``filter_sql`` is the one place that turns the panel's filters into SQL (fixed
fragments, every value a parameter); the list page and the exports share it, so an export holds
exactly what the list showed.
"""
from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from storage.clock import now
from storage.ports.moderation import (
    STATUSES,
    VERDICTS,
    ListedProposal,
    Opinion,
    ProposalCard,
    ProposalEvent,
    ProposalFilter,
    Template,
)
from storage.search import matching
from storage.sql import Dialect, SqlConnection
from storage.statuses import ProposalEventKind

__all__ = [  # the values beside their port, as before they moved
    "Moderation", "filter_sql", "STATUSES", "VERDICTS", "ListedProposal", "Opinion", "ProposalCard",
    "ProposalEvent", "ProposalFilter", "Template",
]

# A proposal whose author was asked a question (needs correction) that the corrected text has not
# answered yet; the partial index correction_requests_open serves it.
_AWAITING_CORRECTION = ("EXISTS (SELECT 1 FROM correction_requests c"
                        " WHERE c.proposal_id = {alias}.id AND c.answered_at IS NULL)")


def filter_sql(filters: ProposalFilter, alias: str = "p", dialect: Dialect = "sqlite") -> tuple[str, list[Any]]:
    """The one place that turns the panel's filters into SQL (fixed fragments, every value a
    parameter): the list page and the exports share it, so an export holds what the list showed."""
    clauses: list[str] = []
    params: list[Any] = []
    if filters.status:
        clauses.append(f"{alias}.status = ?")
        params.append(filters.status)
    else:
        clauses.append(f"{alias}.status != 'spam'")
    for column in ("category", "channel", "source"):
        value = getattr(filters, column)
        if value:
            clauses.append(f"{alias}.{column} = ?")
            params.append(value)
    if filters.date_from:
        clauses.append(f"{alias}.created_at >= ?")
        params.append(filters.midnight(filters.date_from))
    if filters.date_to and filters.date_to < date.max:
        clauses.append(f"{alias}.created_at < ?")
        params.append(filters.midnight(filters.date_to + timedelta(days=1)))
    if filters.with_photo:
        clauses.append(f"EXISTS (SELECT 1 FROM proposal_attachments a WHERE a.proposal_id = {alias}.id)")
    if filters.with_location:
        clauses.append(f"{alias}.latitude IS NOT NULL")
    if filters.awaiting_correction:
        clauses.append(_AWAITING_CORRECTION.format(alias=alias))
    found = matching(dialect, "proposals", filters.search)
    if found:
        clauses.append(f"{alias}.id IN ({found[0]})")
        params.append(found[1])
    return " AND ".join(clauses), params


_CARD = ("id, resident_id, channel, coalesce(source, ''), category, text, address, latitude, longitude, status,"
         " status_reason, duplicate_of, point, author_name, author_contact, author_phone, author_consent_at,"
         " entered_by, created_at, updated_at")


class Moderation:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    # -- finding -------------------------------------------------------------------------------

    async def search(self, filters: ProposalFilter, limit: int, offset: int = 0) -> tuple[list[ListedProposal], int]:
        where, params = filter_sql(filters, dialect=self._db.dialect)
        total = (await self._db.execute_fetchall(f"SELECT count(*) FROM proposals p WHERE {where}", params))[0][0]
        rows = await self._db.execute_fetchall(
            "SELECT p.id, p.created_at, p.channel, coalesce(p.source, ''), p.category, p.status, p.text,"
            " (SELECT count(*) FROM proposal_attachments a WHERE a.proposal_id = p.id), p.latitude IS NOT NULL,"
            f" {_AWAITING_CORRECTION.format(alias='p')},"
            " (SELECT count(*) FROM proposal_supports s WHERE s.proposal_id = p.id)"
            f" FROM proposals p WHERE {where} ORDER BY p.id DESC LIMIT ? OFFSET ?", [*params, limit, offset])
        return [ListedProposal(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]), bool(r[9]), r[10])
                for r in rows], total

    async def facets(self) -> dict[str, list[str]]:
        """The channels and sources that occur, for the filter lists."""
        channels = await self._db.execute_fetchall("SELECT DISTINCT channel FROM proposals ORDER BY 1")
        sources = await self._db.execute_fetchall(
            "SELECT DISTINCT source FROM proposals WHERE source IS NOT NULL AND source != '' ORDER BY 1")
        return {"channels": [r[0] for r in channels], "sources": [r[0] for r in sources]}

    async def card(self, proposal_id: int) -> ProposalCard | None:
        rows = await self._db.execute_fetchall(f"SELECT {_CARD} FROM proposals WHERE id = ?", (proposal_id,))
        if not rows:
            return None
        photos = await self._db.execute_fetchall(
            "SELECT file_key, mime_type FROM proposal_attachments WHERE proposal_id = ? ORDER BY position",
            (proposal_id,))
        events = await self._db.execute_fetchall(
            "SELECT at, actor, kind, from_status, to_status, text FROM proposal_events"
            " WHERE proposal_id = ? ORDER BY id", (proposal_id,))
        opinions = await self._db.execute_fetchall(
            "SELECT user_id, username, verdict, comment, at FROM expert_opinions WHERE proposal_id = ? ORDER BY at",
            (proposal_id,))
        return ProposalCard(*rows[0], photos=[(r[0], r[1]) for r in photos],  # type: ignore[misc]  # a row, unpacked
                            events=[ProposalEvent(*r) for r in events], opinions=[Opinion(*r) for r in opinions],
                            open_question=await self.open_question(proposal_id))

    async def statuses(self, ids: list[int]) -> dict[int, str]:
        marks = ", ".join("?" for _ in ids) or "NULL"
        rows = await self._db.execute_fetchall(f"SELECT id, status FROM proposals WHERE id IN ({marks})", ids)
        return {r[0]: r[1] for r in rows}

    async def existing(self, ids: list[int]) -> list[int]:
        marks = ", ".join("?" for _ in ids) or "NULL"
        rows = await self._db.execute_fetchall(f"SELECT id FROM proposals WHERE id IN ({marks}) ORDER BY id", ids)
        return [r[0] for r in rows]

    # -- changing ------------------------------------------------------------------------------

    async def event(self, proposal_id: int, actor: str, kind: str, text: str = "", *,
                    from_status: str = "", to_status: str = "") -> None:
        await self._db.execute(
            "INSERT INTO proposal_events (proposal_id, at, actor, kind, from_status, to_status, text)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)", (proposal_id, now(), actor, kind, from_status, to_status, text))

    async def set_status(self, proposal_id: int, status: str, actor: str, *, reason: str = "",
                         duplicate_of: int | None = None) -> str | None:
        """Change the status and write it in the history; return the old status (None: no such
        proposal, or it already had this status)."""
        rows = await self._db.execute_fetchall("SELECT status FROM proposals WHERE id = ?", (proposal_id,))
        if not rows or rows[0][0] == status:
            return None
        await self._db.execute(
            "UPDATE proposals SET status = ?, status_reason = ?, duplicate_of = ?, updated_at = ? WHERE id = ?",
            (status, reason, duplicate_of, now(), proposal_id))
        await self.event(proposal_id, actor, ProposalEventKind.STATUS, reason, from_status=rows[0][0], to_status=status)
        return rows[0][0]

    async def merge_photos(self, source_id: int, target_id: int) -> None:
        """A duplicate's photos join the proposal it duplicates (the duplicate keeps its own)."""
        await self._db.execute(
            "INSERT INTO proposal_attachments (proposal_id, file_key, mime_type, position)"
            " SELECT ?, a.file_key, a.mime_type,"
            " (SELECT coalesce(max(position), -1) + 1 FROM proposal_attachments WHERE proposal_id = ?) + a.position"
            " FROM proposal_attachments a WHERE a.proposal_id = ?"
            " AND a.file_key NOT IN (SELECT file_key FROM proposal_attachments WHERE proposal_id = ?)",
            (target_id, target_id, source_id, target_id))

    async def give_opinion(self, proposal_id: int, user_id: int, username: str, verdict: str, comment: str) -> None:
        await self._db.execute(
            "INSERT INTO expert_opinions (proposal_id, user_id, username, verdict, comment, at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (proposal_id, user_id) DO UPDATE SET"
            " verdict = excluded.verdict, comment = excluded.comment, at = excluded.at",
            (proposal_id, user_id, username, verdict, comment, now()))
        await self.event(proposal_id, username, ProposalEventKind.OPINION, f"{verdict}: {comment}".rstrip(": "))

    # -- corrections ---------------------------------------------------------------------------

    async def ask_correction(self, proposal_id: int, question: str, actor: str) -> None:
        """A new question replaces an unanswered one: the author answers the latest."""
        stamp = now()
        await self._db.execute(
            "UPDATE correction_requests SET answered_at = ? WHERE proposal_id = ? AND answered_at IS NULL",
            (stamp, proposal_id))
        await self._db.execute(
            "INSERT INTO correction_requests (proposal_id, question, asked_by, asked_at) VALUES (?, ?, ?, ?)",
            (proposal_id, question, actor, stamp))
        await self.event(proposal_id, actor, ProposalEventKind.QUESTION, question)

    async def open_question(self, proposal_id: int) -> str | None:
        rows = await self._db.execute_fetchall(
            "SELECT question FROM correction_requests WHERE proposal_id = ? AND answered_at IS NULL"
            " ORDER BY id DESC LIMIT 1", (proposal_id,))
        return rows[0][0] if rows else None

    async def open_questions_of(self, resident_id: int) -> list[int]:
        """The resident's proposals that wait for a corrected text, newest first."""
        rows = await self._db.execute_fetchall(
            "SELECT DISTINCT p.id FROM proposals p JOIN correction_requests c ON c.proposal_id = p.id"
            " WHERE p.resident_id = ? AND c.answered_at IS NULL ORDER BY p.id DESC", (resident_id,))
        return [r[0] for r in rows]

    async def correct(self, proposal_id: int, resident_id: int, text: str) -> bool:
        """The author's corrected text replaces the proposal's; the old text stays in the history."""
        rows = await self._db.execute_fetchall(
            "SELECT text FROM proposals WHERE id = ? AND resident_id = ?", (proposal_id, resident_id))
        if not rows:
            return False
        stamp = now()
        await self._db.execute("UPDATE proposals SET text = ?, updated_at = ? WHERE id = ?", (text, stamp, proposal_id))
        await self._db.execute(
            "UPDATE correction_requests SET answered_at = ? WHERE proposal_id = ? AND answered_at IS NULL",
            (stamp, proposal_id))
        await self.event(proposal_id, "", ProposalEventKind.CORRECTION, f"{text}\n\n— было: {rows[0][0]}")
        return True

    # -- answer templates ----------------------------------------------------------------------

    async def templates(self) -> list[Template]:
        rows = await self._db.execute_fetchall("SELECT id, title, text FROM answer_templates ORDER BY title")
        return [Template(*r) for r in rows]

    async def save_template(self, template_id: int | None, title: str, text: str) -> int:
        if template_id is None:
            rows = await self._db.execute_fetchall(
                "INSERT INTO answer_templates (title, text, updated_at) VALUES (?, ?, ?) RETURNING id",
                (title, text, now()))
            return rows[0][0]
        await self._db.execute("UPDATE answer_templates SET title = ?, text = ?, updated_at = ? WHERE id = ?",
                               (title, text, now(), template_id))
        return template_id

    async def delete_template(self, template_id: int) -> None:
        await self._db.execute("DELETE FROM answer_templates WHERE id = ?", (template_id,))

    # -- operator entry ------------------------------------------------------------------------

    async def record_entry(self, proposal_id: int, *, point: str, author_name: str, author_contact: str,
                           author_phone: str, consented: bool, operator: str) -> None:
        """Where the proposal was taken and who wrote it; the author's data only with their
        consent (the operator ticked it), whose time is kept with it."""
        await self._db.execute(
            "UPDATE proposals SET point = ?, author_name = ?, author_contact = ?, author_phone = ?,"
            " author_consent_at = ?, entered_by = ? WHERE id = ?",
            (point, author_name, author_contact, author_phone, now() if consented else None, operator, proposal_id))
        await self.event(proposal_id, operator, ProposalEventKind.ENTERED, point)

    async def phone_author(self, proposal_id: int) -> str | None:
        """The number of an operator-entered author who agreed to be told by SMS, or None."""
        rows = await self._db.execute_fetchall(
            "SELECT author_phone FROM proposals WHERE id = ? AND resident_id IS NULL AND author_phone != ''"
            " AND author_consent_at IS NOT NULL", (proposal_id,))
        return rows[0][0] if rows else None

    async def author(self, proposal_id: int) -> tuple[int, str, str, str, str] | None:
        """(resident id, channel, external id, language, state) of the proposal's author, if known."""
        rows = await self._db.execute_fetchall(
            "SELECT r.id, r.channel, r.external_id, r.language, r.state FROM proposals p"
            " JOIN residents r ON r.id = p.resident_id WHERE p.id = ?", (proposal_id,))
        return tuple(rows[0]) if rows else None

    async def await_correction(self, resident_id: int, proposal_id: int, state: str) -> bool:
        """Make the author's next message the corrected text — only when they are at the main menu,
        so that a flow they are in the middle of is not cut short (the button serves then)."""
        cursor = await self._db.execute(
            "UPDATE residents SET state = ?, state_data = ? WHERE id = ? AND state = ''",
            (state, json.dumps({"proposal": proposal_id}), resident_id))
        return cursor.rowcount == 1
