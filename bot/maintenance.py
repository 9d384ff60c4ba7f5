"""Housekeeping that runs beside the bot: forgetting old update ids, deleting orphaned photos,
and what erasures leave.

Update ids are kept only as long as a platform may re-deliver an update (days, not months):
long enough to recognise every retry, short enough that the inbox does not grow forever. Codes
sent by SMS, and the count of SMS per number, are kept a day (``storage.phone_codes``).

An erasure (/forget) leaves behind, for a short while, what it needs to tell the resident it is
done: the confirmation in the outbox and, on WhatsApp, the number's 24-hour window. Both name the
erased platform id, so ``forget_leftovers`` removes them (every ``privacy.cleanup_every_seconds``)
once the confirmation is delivered or its time is up, and clears the write-ahead log after.

A photo is stored when it arrives, before the proposal, contest work or survey answer that
will refer to it is committed; a resident may also abandon a draft. Files that no row refers to
are deleted once they are older than ``storage.attachments_grace_hours``, so the disk holds
only what residents actually sent in (and the quota is not spent on abandoned drafts).
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

from storage.attachments import AttachmentStore
from storage.ports.repositories import Database

log = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 6 * 3600  # how often ``keep_tidy`` runs


async def prune_processed_updates(db: Database, retention_days: int) -> int:
    cutoff = (datetime.now(timezone.utc) - timedelta(days=retention_days)).isoformat(timespec="microseconds")
    window_closed = (datetime.now(timezone.utc) - timedelta(hours=24)).isoformat(timespec="microseconds")
    async with db.transaction() as tx:
        removed = await tx.inbox.prune_processed(cutoff)
        await tx.whatsapp.forget_orphans(window_closed)
        await tx.gateway.prune(cutoff)
        await tx.phone_codes.prune(datetime.now(timezone.utc))
    if removed:
        log.info("забыты номера обновлений (%d) старше %d дн.", removed, retention_days)
    return removed


async def remove_unreferenced_attachments(db: Database, store: AttachmentStore, grace_hours: float) -> int:
    """Delete stored photos older than the grace period that no row refers to."""
    grace = grace_hours * 3600
    candidates = await asyncio.to_thread(store.stored_keys, grace)
    if not candidates:
        return 0
    # Listed first, references read second: a file referenced after this read was stored (or
    # stored again) after the listing, so it is younger than the grace period and is kept.
    referenced = await db.reader.attachment_references.keys()
    orphans = [key for key in candidates if key not in referenced]
    removed = await asyncio.to_thread(store.remove_stale, orphans, grace)
    if removed:
        log.info("удалено %d фото, на которые ничто не ссылается дольше %g ч", removed, grace_hours)
    return removed


async def keep_tidy(db: Database, retention_days: int, store: AttachmentStore, grace_hours: float) -> None:
    """One round of the housekeeping, run by the scheduler at start and every
    ``PRUNE_EVERY_SECONDS``; each part tried even when the other fails."""
    try:
        await prune_processed_updates(db, retention_days)
    except Exception:
        log.exception("не удалось почистить входящие; попробуем позже")
    try:
        await remove_unreferenced_attachments(db, store, grace_hours)
    except Exception:
        log.exception("не удалось убрать фото без ссылок; попробуем позже")


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
