"""«Присоединяйтесь»: the offers to help (storage/ports/volunteers.py), in SQLite."""
from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from storage.clock import now
from storage.ports.volunteers import JoinedCount, NewVolunteer, Volunteer, VolunteerFilter
from storage.sql import Dialect, SqlConnection

COLUMNS = ("v.id, v.resident_id, v.channel, v.kind, v.name, v.contact_kind, v.contact, v.help, v.help_other,"
           " v.consent_at, v.joined_at, v.updated_at, r.external_id")


def _volunteer(row: Any) -> Volunteer:
    values = list(row)
    values[7] = tuple(json.loads(values[7]))
    return Volunteer(*values)


def _where(where: VolunteerFilter, dialect: Dialect) -> tuple[str, list[Any]]:
    clauses, params = ["1 = 1"], []
    if where.kind:
        clauses.append("v.kind = ?")
        params.append(where.kind)
    if where.channel:
        clauses.append("v.channel = ?")
        params.append(where.channel)
    if where.help:
        elements = ("jsonb_array_elements_text(CAST(v.help AS jsonb)) h(value)" if dialect == "postgresql"
                    else "json_each(v.help) h")  # the help keys, a JSON list, one row each
        clauses.append(f"EXISTS (SELECT 1 FROM {elements} WHERE h.value = ?)")
        params.append(where.help)
    return " AND ".join(clauses), params


class Volunteers:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    async def join(self, volunteer: NewVolunteer) -> int:
        stamp = now()
        rows = await self._db.execute_fetchall(
            "INSERT INTO volunteers (resident_id, channel, kind, name, contact_kind, contact, help, help_other,"
            " consent_at, joined_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (resident_id) DO UPDATE SET kind = excluded.kind, name = excluded.name,"
            " contact_kind = excluded.contact_kind, contact = excluded.contact, help = excluded.help,"
            " help_other = excluded.help_other, consent_at = excluded.consent_at, updated_at = excluded.updated_at"
            " RETURNING id",
            (volunteer.resident_id, volunteer.channel, volunteer.kind, volunteer.name, volunteer.contact_kind,
             volunteer.contact, json.dumps(list(volunteer.help)), volunteer.help_other, volunteer.consent_at,
             stamp, stamp))
        return int(rows[0][0])

    async def of_resident(self, resident_id: int) -> Volunteer | None:
        rows = await self._db.execute_fetchall(
            f"SELECT {COLUMNS} FROM volunteers v JOIN residents r ON r.id = v.resident_id WHERE v.resident_id = ?",
            (resident_id,))
        return _volunteer(rows[0]) if rows else None

    async def leave(self, resident_id: int) -> bool:
        cursor = await self._db.execute("DELETE FROM volunteers WHERE resident_id = ?", (resident_id,))
        return cursor.rowcount > 0

    async def listed(self, where: VolunteerFilter, limit: int, offset: int = 0) -> tuple[list[Volunteer], int]:
        clause, params = _where(where, self._db.dialect)
        rows = await self._db.execute_fetchall(
            f"SELECT {COLUMNS} FROM volunteers v JOIN residents r ON r.id = v.resident_id WHERE {clause}"
            " ORDER BY v.id DESC LIMIT ? OFFSET ?", [*params, limit, offset])
        total = await self._db.execute_fetchall(f"SELECT count(*) FROM volunteers v WHERE {clause}", params)
        return [_volunteer(row) for row in rows], int(total[0][0])

    async def pages(self, where: VolunteerFilter, size: int) -> AsyncIterator[list[Volunteer]]:
        clause, params = _where(where, self._db.dialect)
        after = 0
        while True:
            rows = await self._db.execute_fetchall(
                f"SELECT {COLUMNS} FROM volunteers v JOIN residents r ON r.id = v.resident_id"
                f" WHERE {clause} AND v.id > ? ORDER BY v.id LIMIT ?", [*params, after, size])
            if not rows:
                return
            page = [_volunteer(row) for row in rows]
            yield page
            after = page[-1].id

    async def count_joined(self) -> JoinedCount:
        rows = await self._db.execute_fetchall(
            "SELECT count(*) FILTER (WHERE kind = 'person'), count(*) FILTER (WHERE kind = 'organisation')"
            " FROM volunteers")
        return JoinedCount(int(rows[0][0]), int(rows[0][1]))
