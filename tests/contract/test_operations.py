"""What the operations pages read from storage: the depth of the outbox per channel (replies and
broadcast deliveries still to send) and whether the schema is this release's."""
from __future__ import annotations

from storage.ports.repositories import Database
from tests.contract.helpers import Audience, resident

NOW = "2024-06-01T00:00:00+00:00"


async def test_the_reply_queue_depth_counts_pending_rows_per_channel(db: Database) -> None:
    assert await db.reader.outbox.pending_by_channel() == {}
    async with db.transaction() as tx:
        ids = await tx.outbox.add_many([("vk", "1", None, "a", False), ("vk", "2", None, "b", False),
                                        ("telegram", "1", None, "c", False), ("vk", "1", None, "d", False),
                                        ("webchat", "s", None, "pulled", True)])
    assert await db.reader.outbox.pending_by_channel() == {"vk": 3, "telegram": 1}
    async with db.transaction() as tx:
        await tx.outbox.mark_sent([ids[0]])
        await tx.outbox.mark_failed([ids[2]], "blocked")
    assert await db.reader.outbox.pending_by_channel() == {"vk": 2}


async def test_the_broadcast_queue_depth_counts_what_an_unfinished_broadcast_still_has_to_send(db: Database) -> None:
    for n in range(3):
        await resident(db, f"w{n}")
    await resident(db, "v0", channel="vk")
    async with db.transaction() as tx:
        broadcast, _ = await tx.broadcasts.create(title="Новости", texts={"ru": "Привет"}, buttons=[], media=[],
                                                  audience=Audience(), topic=None, status="sending", send_at=None,
                                                  created_by="mila")
        draft, _ = await tx.broadcasts.create(title="Черновик", texts={"ru": "Ещё нет"}, buttons=[], media=[],
                                              audience=Audience(), topic=None, status="draft", send_at=None,
                                              created_by="mila")
    assert await db.reader.broadcasts.pending_by_channel() == {"webchat": 3, "vk": 1}  # the draft waits for staff
    async with db.transaction() as tx:
        claimed = await tx.broadcasts.claim("webchat", 2, NOW)   # in flight: still to be sent
        assert len(claimed) == 2
    assert await db.reader.broadcasts.pending_by_channel() == {"webchat": 3, "vk": 1}
    async with db.transaction() as tx:
        await tx.broadcasts.record([(claimed[0].id, "sent", None, None, 1), (claimed[1].id, "failed", None, "x", 1)])
    assert await db.reader.broadcasts.pending_by_channel() == {"webchat": 1, "vk": 1}
    async with db.transaction() as tx:
        assert await tx.broadcasts.set_status(broadcast, "cancelled", ["sending"])
    assert await db.reader.broadcasts.pending_by_channel() == {}
    assert draft != broadcast


async def test_a_database_opened_by_this_release_has_no_migration_pending(db: Database) -> None:
    assert await db.pending_migrations() == []
