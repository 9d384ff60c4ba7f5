"""The outbox port: replies queued as rows, taken in order, marked sent or failed, erased."""
from __future__ import annotations

from datetime import timedelta

from storage.ports.repositories import Database

FUTURE = "9999-01-01T00:00:00+00:00"


async def add(db: Database, *rows: tuple[str, str, int | None, str, bool]) -> list[int]:
    async with db.transaction() as tx:
        return await tx.outbox.add_many(list(rows))


async def test_replies_are_queued_in_order_and_taken_by_channel(db: Database) -> None:
    ids = await add(db, ("vk", "1", None, "a", False), ("vk", "2", None, "b", False),
                    ("telegram", "1", None, "c", False), ("vk", "1", None, "d", True))
    assert ids == sorted(ids) and len(set(ids)) == 4
    pending = await db.reader.outbox.pending("vk")
    assert [(row.id, row.external_id, row.payload) for row in pending] == [(ids[0], "1", "a"), (ids[1], "2", "b")]
    assert [row.payload for row in await db.reader.outbox.pending("vk", limit=1)] == ["a"]
    assert [row.payload for row in await db.reader.outbox.pending("telegram")] == ["c"]
    assert await add(db) == []


async def test_sent_and_failed_replies_leave_the_queue(db: Database) -> None:
    ids = await add(db, ("vk", "1", None, "a", False), ("vk", "1", None, "b", False), ("vk", "1", None, "c", False))
    async with db.transaction() as tx:
        await tx.outbox.mark_sent([ids[0]])
        await tx.outbox.mark_failed([ids[1]], "blocked")
    assert [row.id for row in await db.reader.outbox.pending("vk")] == [ids[2]]


async def test_a_reader_of_its_own_replies_gets_those_after_the_last_it_saw(db: Database) -> None:
    ids = await add(db, ("webchat", "s1", None, "one", True), ("webchat", "s2", None, "other", True),
                    ("webchat", "s1", None, "two", True), ("webchat", "s1", None, "three", True))
    assert [row.payload for row in await db.reader.outbox.for_recipient("webchat", "s1", 0)] == ["one", "two", "three"]
    assert [row.payload for row in await db.reader.outbox.for_recipient("webchat", "s1", ids[2])] == ["three"]
    assert [row.payload for row in await db.reader.outbox.for_recipient("webchat", "s1", 0, limit=2)] == ["one", "two"]


async def test_the_replies_to_one_event_are_found_by_it(db: Database) -> None:
    async with db.transaction() as tx:
        inbox = await tx.inbox.store_many([("vk", "u1", "{}")])
        event = inbox[("vk", "u1")]
        await tx.outbox.add_many([("vk", "1", event, "a", False), ("vk", "1", None, "notice", False),
                                  ("vk", "1", event, "b", False)])
    assert [row.payload for row in await db.reader.outbox.for_inbox(event)] == ["a", "b"]
    pending = await db.reader.outbox.pending("vk")
    assert [row.inbox_id for row in pending] == [event, None, event]


async def test_replies_to_a_forgotten_resident_are_erased_once_delivered_or_expired(db: Database) -> None:
    ids = await add(db, ("vk", "1", None, "bye", False), ("vk", "1", None, "bye again", False),
                    ("vk", "2", None, "kept", False))
    async with db.transaction() as tx:
        await tx.outbox.erase_after_delivery(ids[:2], timedelta(days=1))
        assert await tx.outbox.erase_delivered([ids[0], ids[2]]) == 1  # the unmarked one stays
        assert await tx.outbox.erase_expired("2000-01-01T00:00:00+00:00") == 0
        assert await tx.outbox.erase_expired(FUTURE) == 1
        assert await tx.outbox.erase_delivered([]) == 0
    assert [row.payload for row in await db.reader.outbox.pending("vk")] == ["kept"]


async def test_every_reply_to_one_resident_can_be_deleted(db: Database) -> None:
    await add(db, ("vk", "1", None, "a", False), ("vk", "1", None, "b", True), ("vk", "2", None, "c", False))
    async with db.transaction() as tx:
        assert await tx.outbox.delete_for_recipient("vk", "1") == 2
    assert [row.external_id for row in await db.reader.outbox.pending("vk")] == ["2"]
