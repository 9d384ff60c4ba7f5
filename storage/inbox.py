"""The inbox: updates stored before they are acknowledged, processed from here exactly once."""
from __future__ import annotations

import re

import aiosqlite

from storage.clock import now


class Inbox:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def store_many(self, rows: list[tuple[str, str, str | None]],
                         processed: bool = False) -> dict[tuple[str, str], int]:
        """Keep several (channel, update id, payload) at once; returns the ids of the new ones.
        ``processed``: stored by the transaction that processes them (no payload is kept)."""
        if not rows:
            return {}
        stamp = now()
        done = stamp if processed else None
        values = ", ".join(["(?, ?, ?, ?, ?)"] * len(rows))
        params: list[object] = []
        for channel, update_id, payload in rows:
            params += [channel, update_id, None if processed else payload, stamp, done]
        stored = await self._db.execute_fetchall(
            f"INSERT INTO inbox (channel, update_id, payload, received_at, processed_at) VALUES {values}"
            " ON CONFLICT (channel, update_id) DO NOTHING RETURNING id, channel, update_id", params)
        return {(row[1], row[2]): row[0] for row in stored}

    async def still_unprocessed(self, ids: list[int]) -> set[int]:
        marks = ", ".join("?" * len(ids))
        rows = await self._db.execute_fetchall(
            f"SELECT id FROM inbox WHERE id IN ({marks}) AND processed_at IS NULL", ids)
        return {row[0] for row in rows}

    async def mark_processed_many(self, ids: list[int]) -> None:
        stamp = now()
        await self._db.executemany(
            "UPDATE inbox SET processed_at = ?, payload = NULL WHERE id = ?", [(stamp, i) for i in ids])

    async def find(self, channel: str, update_id: str) -> int | None:
        rows = await self._db.execute_fetchall(
            "SELECT id FROM inbox WHERE channel = ? AND update_id = ?", (channel, update_id))
        return rows[0][0] if rows else None

    async def load_unprocessed(self, inbox_id: int) -> str | None:
        rows = await self._db.execute_fetchall(
            "SELECT payload FROM inbox WHERE id = ? AND processed_at IS NULL", (inbox_id,))
        return rows[0][0] if rows else None

    async def mark_processed(self, inbox_id: int, error: str | None = None) -> None:
        # The payload may hold personal data; once processed only the key is needed.
        await self._db.execute(
            "UPDATE inbox SET processed_at = ?, payload = NULL, error = ? WHERE id = ?",
            (now(), error, inbox_id))

    async def unprocessed_ids(self) -> list[int]:
        rows = await self._db.execute_fetchall("SELECT id FROM inbox WHERE processed_at IS NULL ORDER BY id")
        return [row[0] for row in rows]

    async def prune_processed(self, before: str) -> int:
        cursor = await self._db.execute(
            "DELETE FROM inbox WHERE processed_at IS NOT NULL AND processed_at < ?", (before,))
        return cursor.rowcount

    # -- forgetting a resident ----------------------------------------------------------------

    async def erase_payloads_of(self, channel: str, external_id: str) -> list[str]:
        """Erase the stored events of a resident being forgotten that processing has finished
        with or given up on (failed tries, dead letters): their payload and the text of their
        error go, the row stays so that a re-delivery is still recognised. Events never tried
        yet stay: they came after, and are the resident writing again. Returns the payloads."""
        rows = await self._db.execute_fetchall(
            "SELECT id, payload FROM inbox WHERE channel = ? AND payload IS NOT NULL AND json_valid(payload)"
            " AND json_extract(payload, '$.ref.channel') = ? AND json_extract(payload, '$.ref.external_id') = ?"
            " AND (processed_at IS NOT NULL OR dead_at IS NOT NULL OR attempts > 0)",
            (channel, channel, external_id))
        stamp = now()
        await self._db.executemany(
            f"UPDATE inbox SET payload = NULL, error = {_ERROR_KIND_ONLY}, processed_at = coalesce(processed_at, ?)"
            " WHERE id = ?", [(stamp, row[0]) for row in rows])
        return [row[1] for row in rows]

    async def erase_errors(self, ids: list[int]) -> None:
        """Keep only the kind of each error (the text after it may quote what the resident wrote)."""
        await self._db.executemany(f"UPDATE inbox SET error = {_ERROR_KIND_ONLY} WHERE id = ?", [(i,) for i in ids])

    async def rename_keys_naming(self, channel: str, external_id: str, encoded: list[str]) -> int:
        """Give update ids that embed an erased platform id a name that says nothing,
        ``erased:<row id>``: the id itself between separators (an OK chat's ``seq:<chat>:<n>``,
        a gateway's ``<user>-<n>``), or one of its ``encoded`` forms anywhere (a WhatsApp wamid
        carries the number in base64). A platform that delivers such an update again is then
        not recognised, which is the price of not keeping the id."""
        pieces = [external_id, *encoded]
        matches = " OR ".join("instr(update_id, ?) > 0" for _ in pieces)
        rows = await self._db.execute_fetchall(
            f"SELECT id, update_id FROM inbox WHERE channel = ? AND ({matches})", (channel, *pieces))
        whole = re.compile(rf"(?<![0-9A-Za-z]){re.escape(external_id)}(?![0-9A-Za-z])")
        renamed = [row[0] for row in rows if whole.search(row[1]) or any(piece in row[1] for piece in encoded)]
        await self._db.executemany("UPDATE inbox SET update_id = 'erased:' || id WHERE id = ?",
                                   [(i,) for i in renamed])
        return len(renamed)


# "ValueError: …the resident's text…" → "ValueError".
_ERROR_KIND_ONLY = "CASE WHEN instr(error, ':') > 0 THEN substr(error, 1, instr(error, ':') - 1) ELSE error END"
