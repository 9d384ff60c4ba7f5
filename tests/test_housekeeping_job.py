"""The housekeeping (old update ids, photos nothing refers to) runs as soon as the bot starts,
as one of its scheduled jobs, and a bot stopped while it runs stops cleanly."""
from __future__ import annotations

import os
import time
from pathlib import Path

import time_machine

from bot.app import Application
from storage.attachments import AttachmentStore
from storage.open import open_database
from tests.drivers import eventually, test_settings
from tests.journey import picture

THREE_DAYS = 3 * 24 * 3600


async def test_a_started_bot_forgets_old_update_ids_and_deletes_old_photos_nothing_refers_to(tmp_path):
    settings = test_settings(tmp_path)
    db = await open_database(settings.storage.choice())
    with time_machine.travel("2020-01-01T00:00:00+00:00"):  # processed long before the retention
        async with db.transaction() as tx:
            await tx.inbox.store_many([("vk", "old", "{}")], processed=True)
    async with db.transaction() as tx:
        await tx.inbox.store_many([("vk", "recent", "{}")], processed=True)
    await db.close()
    store = AttachmentStore(Path(settings.storage.attachments_dir))
    abandoned, _ = await store.put_image(picture(40, 30))
    kept_young, _ = await store.put_image(picture(50, 30))  # within the grace period
    long_ago = time.time() - THREE_DAYS
    os.utime(store.path_of(abandoned), (long_ago, long_ago))

    app = Application(settings)
    await app.start()
    try:
        await eventually(lambda: not store.path_of(abandoned).exists())
        assert await eventually(lambda: _forgotten(app, "old"))
        assert await app.db.reader.inbox.find("vk", "recent") is not None
        assert store.path_of(kept_young).exists()
    finally:
        await app.stop()


async def _forgotten(app: Application, update_id: str) -> bool:
    return await app.db.reader.inbox.find("vk", update_id) is None
