"""Residents and their persisted conversation state."""
from __future__ import annotations

from typing import Any

from storage import json_text
from storage.clock import now
from storage.ports.residents import Resident
from storage.sql import SqlConnection, row_lock

# Read with the residents a batch processes: see ``Resident.awaits_correction``.
_AWAITS_CORRECTION = (
    "EXISTS (SELECT 1 FROM proposals p JOIN correction_requests c ON c.proposal_id = p.id"
    " WHERE p.resident_id = residents.id AND c.answered_at IS NULL) AS awaits_correction")


class Residents:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    async def find(self, channel: str, external_id: str) -> Resident | None:
        rows = await self._db.execute_fetchall(
            "SELECT * FROM residents WHERE channel = ? AND external_id = ?", (channel, external_id))
        return Resident.from_row(rows[0]) if rows else None

    async def get(self, resident_id: int) -> Resident | None:
        rows = await self._db.execute_fetchall("SELECT * FROM residents WHERE id = ?", (resident_id,))
        return Resident.from_row(rows[0]) if rows else None

    async def get_or_create(self, channel: str, external_id: str) -> Resident:
        found = await self.find(channel, external_id)
        if found is not None:
            return found
        rows = await self._db.execute_fetchall(
            "INSERT INTO residents (channel, external_id, created_at) VALUES (?, ?, ?) RETURNING *",
            (channel, external_id, now()))
        return Resident.from_row(rows[0])

    async def get_or_create_many(self, refs: list[tuple[str, str]]) -> dict[tuple[str, str], Resident]:
        """Residents for several (channel, external id) at once, creating the missing ones
        (who have no proposal yet, so wait for no correction)."""
        wanted = list(dict.fromkeys(refs))
        found: dict[tuple[str, str], Resident] = {}
        for start in range(0, len(wanted), 400):
            chunk = wanted[start:start + 400]
            found.update(await self._locked(chunk))
        missing = [ref for ref in wanted if ref not in found]
        if missing:
            stamp = now()
            values = ", ".join(["(?, ?, ?)"] * len(missing))
            rows = await self._db.execute_fetchall(
                f"INSERT INTO residents (channel, external_id, created_at) VALUES {values}"
                " ON CONFLICT (channel, external_id) DO NOTHING RETURNING *, 0 AS awaits_correction",
                [part for ref in missing for part in (*ref, stamp)])
            found.update({(r["channel"], r["external_id"]): Resident.from_row(r) for r in rows})
            # Another process made them meanwhile (its insert committed first): read them, locked.
            if late := [ref for ref in missing if ref not in found]:
                found.update(await self._locked(late))
        return found

    async def _locked(self, refs: list[tuple[str, str]]) -> dict[tuple[str, str], Resident]:
        """The residents found among ``refs``, their rows locked until the batch commits where
        another process could change them meanwhile (``row_lock``: in id order, so two batches
        never wait for each other in a circle)."""
        pairs = ", ".join(["(?, ?)"] * len(refs))
        order = " ORDER BY id" if self._db.dialect == "postgresql" else ""
        rows = await self._db.execute_fetchall(
            f"SELECT *, {_AWAITS_CORRECTION} FROM residents WHERE (channel, external_id) IN (VALUES {pairs})"
            + order + row_lock(self._db.dialect), [part for ref in refs for part in ref])
        return {(r["channel"], r["external_id"]): Resident.from_row(r) for r in rows}

    async def save_states(self, residents: list[Resident]) -> None:
        await self._db.executemany(
            "UPDATE residents SET state = ?, state_data = ?, keyboard = ? WHERE id = ?",
            [(r.state, json_text.dumps(r.state_data),
              json_text.dumps(r.keyboard), r.id) for r in residents])

    async def set_keyboard(self, resident_id: int, keyboard: dict[str, Any]) -> None:
        await self._db.execute("UPDATE residents SET keyboard = ? WHERE id = ?",
                               (json_text.dumps(keyboard), resident_id))

    async def set_language(self, resident_id: int, language: str) -> None:
        await self._db.execute("UPDATE residents SET language = ? WHERE id = ?", (language, resident_id))

    async def record_consent(self, resident_id: int, version: str, display_name: str) -> str:
        """Record consent to the given text version; return the moment recorded."""
        stamp = now()
        await self._db.execute(
            "UPDATE residents SET consent_version = ?, consent_at = ?, consent_declined_at = NULL,"
            " display_name = ? WHERE id = ?", (version, stamp, display_name, resident_id))
        return stamp

    async def record_decline(self, resident_id: int) -> None:
        await self._db.execute(
            "UPDATE residents SET consent_declined_at = ? WHERE id = ?", (now(), resident_id))

    async def set_first_source(self, resident_id: int, source: str) -> bool:
        cursor = await self._db.execute(
            "UPDATE residents SET first_source = ? WHERE id = ? AND first_source IS NULL",
            (source, resident_id))
        return cursor.rowcount == 1

    async def set_reachable(self, resident_id: int, reachable: bool) -> None:
        await self._db.execute("UPDATE residents SET reachable = ? WHERE id = ?", (int(reachable), resident_id))

    async def set_phone(self, resident_id: int, phone: str, verified: bool) -> None:
        await self._db.execute(
            "UPDATE residents SET phone = ?, phone_verified = ? WHERE id = ?", (phone, int(verified), resident_id))

    async def delete(self, resident_id: int) -> None:
        await self._db.execute("DELETE FROM residents WHERE id = ?", (resident_id,))
