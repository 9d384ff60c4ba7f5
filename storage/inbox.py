"""The inbox: updates stored before they are acknowledged, processed from here exactly once.

A row is open while ``processed_at`` and ``dead_at`` are both empty: it is (about to be) processed,
or waits for the next attempt. Every attempt is counted in ``attempts`` before it is made (the
first one by the transaction that stores the row), so a row whose processing keeps crashing the
process is still counted. A row that used up its attempts becomes a dead letter: ``dead_at`` set,
the payload and the last ``error`` kept for staff to look at, retry or discard.
"""
from __future__ import annotations

import hashlib
import re

from storage.clock import now
from storage.ports.inbox import DeadLetter
from storage.sql import SqlConnection, json_text_at, row_lock


class Inbox:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    async def store_many(self, rows: list[tuple[str, str, str | None]],
                         processed: bool = False) -> dict[tuple[str, str], int]:
        """Keep several (channel, update id, payload) at once; returns the ids of the new ones.
        ``processed``: stored by the transaction that processes them (no payload is kept).
        Either way the first attempt at processing follows at once, so it is counted here."""
        if not rows:
            return {}
        stamp = now()
        done = stamp if processed else None
        values = ", ".join(["(?, ?, ?, ?, ?, 1)"] * len(rows))
        params: list[object] = []
        for channel, update_id, payload in rows:
            params += [channel, update_id, None if processed else payload, stamp, done]
        stored = await self._db.execute_fetchall(
            f"INSERT INTO inbox (channel, update_id, payload, received_at, processed_at, attempts) VALUES {values}"
            " ON CONFLICT (channel, update_id) DO NOTHING RETURNING id, channel, update_id", params)
        return {(row[1], row[2]): row[0] for row in stored}

    async def still_unprocessed(self, ids: list[int]) -> set[int]:
        marks = ", ".join("?" * len(ids))
        # Locked, or passed by when another process's batch holds it: an event is processed once.
        rows = await self._db.execute_fetchall(
            f"SELECT id FROM inbox WHERE id IN ({marks}) AND processed_at IS NULL AND dead_at IS NULL"
            + row_lock(self._db.dialect, skip_locked=True), ids)
        return {row[0] for row in rows}

    async def mark_processed_many(self, ids: list[int]) -> None:
        stamp = now()
        await self._db.executemany(
            "UPDATE inbox SET processed_at = ?, payload = NULL, error = NULL WHERE id = ?", [(stamp, i) for i in ids])

    async def find(self, channel: str, update_id: str) -> int | None:
        rows = await self._db.execute_fetchall(
            "SELECT id FROM inbox WHERE channel = ? AND update_id = ?", (channel, update_id))
        return rows[0][0] if rows else None

    async def load_unprocessed(self, inbox_id: int) -> str | None:
        rows = await self._db.execute_fetchall(
            "SELECT payload FROM inbox WHERE id = ? AND processed_at IS NULL AND dead_at IS NULL", (inbox_id,))
        return rows[0][0] if rows else None

    async def mark_processed(self, inbox_id: int, error: str | None = None) -> None:
        # The payload may hold personal data; once processed only the key is needed.
        await self._db.execute(
            "UPDATE inbox SET processed_at = ?, payload = NULL, error = ? WHERE id = ?",
            (now(), error, inbox_id))

    async def store_unparseable(self, channel: str, body_text: str, reason: str) -> int | None:
        """Keep a signed body that no parser could read as a dead letter, so staff see what
        arrived: processed and dead at once, never handed to a handler. Its update id is a digest
        of the body, so the platform's retry of the same body is kept once (``None`` then)."""
        update_id = "unparseable:" + hashlib.sha256(body_text.encode()).hexdigest()[:32]
        stamp = now()
        rows = await self._db.execute_fetchall(
            "INSERT INTO inbox (channel, update_id, payload, received_at, processed_at, error, dead_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel, update_id) DO NOTHING RETURNING id",
            (channel, update_id, body_text, stamp, stamp, reason[:500], stamp))
        return rows[0][0] if rows else None

    async def prune_processed(self, before: str) -> int:
        cursor = await self._db.execute(
            "DELETE FROM inbox WHERE processed_at IS NOT NULL AND processed_at < ?", (before,))
        return cursor.rowcount

    # -- attempts and dead letters -------------------------------------------------------------

    async def retryable_ids(self, received_before: str | None = None, channel: str | None = None) -> list[int]:
        """Open rows (neither processed nor dead letters), oldest first; with ``received_before``
        only those stored before that moment, with ``channel`` only that channel's."""
        conditions, parameters = ["processed_at IS NULL", "dead_at IS NULL"], []
        if received_before is not None:
            conditions.append("received_at < ?")
            parameters.append(received_before)
        if channel is not None:
            conditions.append("channel = ?")
            parameters.append(channel)
        rows = await self._db.execute_fetchall(
            f"SELECT id FROM inbox WHERE {' AND '.join(conditions)} ORDER BY id", parameters)
        return [row[0] for row in rows]

    async def count_attempts(self, ids: list[int]) -> dict[int, tuple[int, str | None]]:
        """Count one more attempt at each open row of ``ids``, before it is made; returns each
        counted row's attempts so far and payload. Rows closed meanwhile are left out."""
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        rows = await self._db.execute_fetchall(
            f"UPDATE inbox SET attempts = attempts + 1 WHERE id IN ({marks})"
            " AND processed_at IS NULL AND dead_at IS NULL RETURNING id, attempts, payload", ids)
        return {row[0]: (row[1], row[2]) for row in rows}

    async def bury_spent(self, ids: list[int], max_attempts: int, error: str) -> list[int]:
        """Of ``ids``, make the open rows that already had ``max_attempts`` attempts dead letters
        (their last attempt never ended: the process died); ``error`` goes before any earlier one."""
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        rows = await self._db.execute_fetchall(
            f"UPDATE inbox SET dead_at = ?, error = ? || coalesce('; ' || error, '') WHERE id IN ({marks})"
            " AND processed_at IS NULL AND dead_at IS NULL AND attempts >= ? RETURNING id",
            [now(), error, *ids, max_attempts])
        return [row[0] for row in rows]

    async def note_failure(self, inbox_id: int, error: str) -> None:
        """Why the last attempt at an open row failed; the row stays open for the next one."""
        await self._db.execute(
            "UPDATE inbox SET error = ? WHERE id = ? AND processed_at IS NULL AND dead_at IS NULL", (error, inbox_id))

    async def bury(self, inbox_id: int, error: str | None = None) -> bool:
        """Make an open row a dead letter: no more attempts; payload and reason kept for staff."""
        cursor = await self._db.execute(
            "UPDATE inbox SET dead_at = ?, error = coalesce(?, error)"
            " WHERE id = ? AND processed_at IS NULL AND dead_at IS NULL", (now(), error, inbox_id))
        return cursor.rowcount == 1

    async def dead_letters(self, limit: int, before_id: int | None = None) -> list[DeadLetter]:
        """Every dead letter, whatever made it one, newest first."""
        rows = await self._db.execute_fetchall(
            "SELECT id, channel, update_id, received_at, attempts, coalesce(error, ''), dead_at, payload"
            " FROM inbox WHERE dead_at IS NOT NULL AND id < ? ORDER BY id DESC LIMIT ?",
            (before_id if before_id is not None else 2**63 - 1, limit))
        return [DeadLetter(*row) for row in rows]

    async def dead_letter(self, inbox_id: int) -> DeadLetter | None:
        rows = await self._db.execute_fetchall(
            "SELECT id, channel, update_id, received_at, attempts, coalesce(error, ''), dead_at, payload"
            " FROM inbox WHERE id = ? AND dead_at IS NOT NULL", (inbox_id,))
        return DeadLetter(*rows[0]) if rows else None

    async def count_dead_letters(self) -> int:
        rows = await self._db.execute_fetchall("SELECT count(*) FROM inbox WHERE dead_at IS NOT NULL")
        return rows[0][0]

    async def revive(self, inbox_id: int) -> bool:
        """A dead letter becomes an open row with no attempts counted (staff asked to retry it)."""
        cursor = await self._db.execute(
            "UPDATE inbox SET dead_at = NULL, attempts = 0, error = NULL"
            " WHERE id = ? AND dead_at IS NOT NULL AND processed_at IS NULL AND payload IS NOT NULL", (inbox_id,))
        return cursor.rowcount == 1

    async def discard(self, inbox_id: int) -> bool:
        """Close a dead letter without processing it: the payload (personal data) goes, the key
        stays until pruned, so that a platform's late retry of the update is still recognised."""
        cursor = await self._db.execute(
            "UPDATE inbox SET dead_at = NULL, payload = NULL, processed_at = ? WHERE id = ? AND dead_at IS NOT NULL",
            (now(), inbox_id))
        return cursor.rowcount == 1

    # -- forgetting a resident ----------------------------------------------------------------

    async def erase_payloads_of(self, channel: str, external_id: str) -> list[str]:
        """Erase the stored events of a resident being forgotten that processing has finished
        with or given up on (failed tries, dead letters): their payload and the text of their
        error go, the row stays so that a re-delivery is still recognised. Events never tried
        yet stay: they came after, and are the resident writing again. Returns the payloads."""
        rows = await self._db.execute_fetchall(
            "SELECT id, payload, error FROM inbox WHERE channel = ? AND payload IS NOT NULL"
            f" AND {json_text_at(self._db.dialect, 'payload', 'ref', 'channel')} = ?"
            f" AND {json_text_at(self._db.dialect, 'payload', 'ref', 'external_id')} = ?"
            " AND (processed_at IS NOT NULL OR dead_at IS NOT NULL OR attempts > 0)",
            (channel, channel, external_id))
        stamp = now()
        await self._db.executemany(
            "UPDATE inbox SET payload = NULL, error = ?, processed_at = coalesce(processed_at, ?) WHERE id = ?",
            [(error_kind(row[2]), stamp, row[0]) for row in rows])
        return [row[1] for row in rows]

    async def erase_errors(self, ids: list[int]) -> None:
        """Keep only the kind of each error (the text after it may quote what the resident wrote)."""
        for start in range(0, len(ids), 500):  # a resident's whole history: in pieces, each one statement
            chunk = ids[start:start + 500]
            rows = await self._db.execute_fetchall(
                f"SELECT id, error FROM inbox WHERE error IS NOT NULL AND id IN ({', '.join('?' * len(chunk))})", chunk)
            await self._db.executemany("UPDATE inbox SET error = ? WHERE id = ?", [(error_kind(e), i) for i, e in rows])

    async def rename_keys_naming(self, channel: str, external_id: str, encoded: list[str]) -> int:
        """Give update ids that embed an erased platform id a name that says nothing,
        ``erased:<row id>``: the id itself between separators (an OK chat's ``seq:<chat>:<n>``,
        a gateway's ``<user>-<n>``), or one of its ``encoded`` forms anywhere (a WhatsApp wamid
        carries the number in base64). A platform that delivers such an update again is then
        not recognised, which is the price of not keeping the id."""
        pieces = [external_id, *encoded]
        # A wide net (LIKE's "_" matches any one character), narrowed below in Python.
        matches = " OR ".join("update_id LIKE '%' || ? || '%'" for _ in pieces)
        rows = await self._db.execute_fetchall(
            f"SELECT id, update_id FROM inbox WHERE channel = ? AND ({matches})", (channel, *pieces))
        whole = re.compile(rf"(?<![0-9A-Za-z]){re.escape(external_id)}(?![0-9A-Za-z])")
        renamed = [row[0] for row in rows if whole.search(row[1]) or any(piece in row[1] for piece in encoded)]
        await self._db.executemany("UPDATE inbox SET update_id = 'erased:' || id WHERE id = ?",
                                   [(i,) for i in renamed])
        return len(renamed)


def error_kind(error: str | None) -> str | None:
    """Only the kind of an error: "ValueError: …the resident's text…" → "ValueError"."""
    return error.split(":", 1)[0] if error else error
