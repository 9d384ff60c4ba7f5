"""What follows a committed erasure of a resident's data, wherever it was committed."""
from __future__ import annotations

import logging
from typing import Iterable

from storage.attachments import AttachmentStore
from storage.ports.repositories import Database

log = logging.getLogger(__name__)


async def after_erasure(db: Database, attachments: AttachmentStore, files: Iterable[str] = ()) -> None:
    """Committed: delete the files nothing names any more, and clear the write-ahead log,
    which still holds the erased rows as they were. A failure here is logged, never raised:
    the erasure itself is done, and the housekeeping checkpoints again."""
    try:
        await attachments.delete(files)
        await db.checkpoint()
    except Exception:
        log.exception("после удаления данных жителя не удалось удалить его файлы или очистить журнал WAL")
