"""Housekeeping that runs beside the bot: forgetting old update ids, and what erasures leave.

Update ids are kept only as long as a platform may re-deliver an update (days, not months):
long enough to recognise every retry, short enough that the inbox does not grow forever.

An erasure (/forget) leaves behind, for a short while, what it needs to tell the resident it is
done: the confirmation in the outbox and, on WhatsApp, the number's 24-hour window. Both name the
erased platform id, so ``forget_leftovers`` removes them (every ``privacy.cleanup_every_seconds``)
once the confirmation is delivered or its time is up, and clears the write-ahead log after.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

from storage.database import Database

log = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 6 * 3600


async def prune_processed_updates(db: Database, retention_days: int) -> int:
    cutoff = (datetime.now(timezone.utc) - timedelta(days=retention_days)).isoformat(timespec="microseconds")
    window_closed = (datetime.now(timezone.utc) - timedelta(hours=24)).isoformat(timespec="microseconds")
    async with db.transaction() as tx:
        removed = await tx.inbox.prune_processed(cutoff)
        await tx.whatsapp.forget_orphans(window_closed)
        await tx.gateway.prune(cutoff)
    if removed:
        log.info("forgot %d update ids older than %d days", removed, retention_days)
    return removed


async def keep_tidy(db: Database, retention_days: int) -> None:
    while True:
        try:
            await prune_processed_updates(db, retention_days)
        except Exception:
            log.exception("pruning the inbox failed; trying again later")
        await asyncio.sleep(PRUNE_EVERY_SECONDS)


async def forget_leftovers(db: Database, moment: datetime | None = None) -> int:
    """Delete erasure confirmations whose time is up and what WhatsApp kept for forgotten numbers;
    then checkpoint, so the deleted rows are not left in the write-ahead log either (also when an
    earlier checkpoint after an erasure could not truncate the log)."""
    moment = moment or datetime.now(timezone.utc)
    window_closed = (moment - timedelta(hours=24)).isoformat(timespec="microseconds")
    async with db.transaction() as tx:
        removed = await tx.outbox.erase_expired(moment.isoformat(timespec="microseconds"))
        removed += await tx.whatsapp.forget_orphans(window_closed)
    if removed or db.checkpoint_owed:
        await db.checkpoint()
    return removed
