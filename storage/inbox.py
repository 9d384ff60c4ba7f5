"""The inbox: updates stored before they are acknowledged, processed from here exactly once."""
from __future__ import annotations

import hashlib
import re

import aiosqlite

from storage.clock import now

# Lone surrogates cannot be encoded to UTF-8 and NUL ends a C string: neither is kept as is.
_UNSTORABLE = re.compile("[\ud800-\udfff\x00]")


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

    async def store_unparseable(self, channel: str, body_text: str, reason: str) -> int | None:
        """Keep a signed body that no parser could read as a dead letter, so staff see what
        arrived: processed and dead at once, never handed to a handler. Its update id is a digest
        of the body, so the platform's retry of the same body is kept once (``None`` then)."""
        text = _UNSTORABLE.sub("\ufffd", body_text)
        update_id = "unparseable:" + hashlib.sha256(text.encode()).hexdigest()[:32]
        stamp = now()
        rows = await self._db.execute_fetchall(
            "INSERT INTO inbox (channel, update_id, payload, received_at, processed_at, error, dead_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel, update_id) DO NOTHING RETURNING id",
            (channel, update_id, text, stamp, stamp, _UNSTORABLE.sub("\ufffd", reason)[:500], stamp))
        return rows[0][0] if rows else None

    async def unprocessed_ids(self) -> list[int]:
        rows = await self._db.execute_fetchall("SELECT id FROM inbox WHERE processed_at IS NULL ORDER BY id")
        return [row[0] for row in rows]

    async def prune_processed(self, before: str) -> int:
        cursor = await self._db.execute(
            "DELETE FROM inbox WHERE processed_at IS NOT NULL AND processed_at < ?", (before,))
        return cursor.rowcount
