"""The channels' storage ports (storage/ports/channels.py) over either database (SQLite or PostgreSQL): each
operation one transaction, or one read of committed data, so that a channel holds no database."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from storage.ports.outbox import OutboxRow
from storage.ports.repositories import Database
from storage.ports.whatsapp import Receipt


class ChannelStorage:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim_event_id(self, event_id: str, fingerprint: str) -> bool:
        async with self._db.transaction() as tx:
            return await tx.gateway.claim(event_id, fingerprint)

    async def post(self, channel: str, replies: Sequence[tuple[str, str]]) -> list[int]:
        async with self._db.transaction() as tx:
            return await tx.outbox.add_many([(channel, external_id, None, payload, True)
                                             for external_id, payload in replies])

    async def after(self, channel: str, external_id: str, after: int) -> list[OutboxRow]:
        return await self._db.reader.outbox.for_recipient(channel, external_id, after)

    async def note_webhook(self, windows: Mapping[str, str], receipts: Sequence[Receipt]) -> None:
        async with self._db.transaction() as tx:
            for wa_id, at in windows.items():
                await tx.whatsapp.touch_window(wa_id, at)
            for receipt in receipts:
                await tx.whatsapp.record_receipt(receipt)

    async def window_open(self, wa_id: str, hours: float) -> bool:
        return await self._db.reader.whatsapp.window_open(wa_id, hours)

    async def count_skipped(self, wa_id: str) -> None:
        async with self._db.transaction() as tx:
            await tx.whatsapp.count_skipped(wa_id)

    async def position(self, channel: str, key: str) -> str | None:
        return await self._db.reader.poll_positions.get(channel, key)

    async def save_position(self, channel: str, key: str, value: str) -> None:
        async with self._db.transaction() as tx:
            await tx.poll_positions.put(channel, key, value)
