"""Housekeeping that runs beside the bot: forgetting old update ids.

Update ids are kept only as long as a platform may re-deliver an update (days, not months):
long enough to recognise every retry, short enough that the inbox does not grow forever.
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
