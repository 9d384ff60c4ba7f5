"""The inbox port: every update kept once, attempts counted, dead letters kept for staff."""
from __future__ import annotations

from storage.ports.repositories import Database

FUTURE = "9999-01-01T00:00:00+00:00"


async def store(db: Database, *rows: tuple[str, str, str | None]) -> dict[tuple[str, str], int]:
    async with db.transaction() as tx:
        return await tx.inbox.store_many(list(rows))


async def test_an_update_is_stored_once_and_found_by_its_platform_id(db: Database) -> None:
    first = await store(db, ("vk", "1", '{"a": 1}'), ("vk", "2", '{"a": 2}'))
    assert set(first) == {("vk", "1"), ("vk", "2")}
    again = await store(db, ("vk", "1", '{"a": "changed"}'), ("telegram", "1", "{}"))
    assert set(again) == {("telegram", "1")}  # the same id on another channel is another update
    assert await db.reader.inbox.find("vk", "1") == first[("vk", "1")]
    assert await db.reader.inbox.load_unprocessed(first[("vk", "1")]) == '{"a": 1}'
    assert await db.reader.inbox.find("ok", "1") is None


async def test_processing_drops_the_payload_but_keeps_the_key(db: Database) -> None:
    ids = await store(db, ("vk", "7", '{"text": "личное"}'))
    inbox_id = ids[("vk", "7")]
    async with db.transaction() as tx:
        assert await tx.inbox.still_unprocessed([inbox_id]) == {inbox_id}
        await tx.inbox.mark_processed(inbox_id)
    assert await db.reader.inbox.load_unprocessed(inbox_id) is None
    assert await db.reader.inbox.still_unprocessed([inbox_id]) == set()
    assert await db.reader.inbox.find("vk", "7") == inbox_id
    assert await store(db, ("vk", "7", "{}")) == {}  # a late re-delivery is still recognised
    assert await db.reader.inbox.retryable_ids() == []


async def test_stored_as_processed_is_never_retried(db: Database) -> None:
    async with db.transaction() as tx:
        ids = await tx.inbox.store_many([("webchat", "a", "{}")], processed=True)
    assert ids and await db.reader.inbox.retryable_ids() == []
    assert await db.reader.inbox.load_unprocessed(ids[("webchat", "a")]) is None


async def test_open_rows_are_retried_oldest_first(db: Database) -> None:
    ids = await store(db, ("vk", "1", "{}"), ("vk", "2", "{}"), ("vk", "3", "{}"))
    async with db.transaction() as tx:
        await tx.inbox.mark_processed_many([ids[("vk", "2")]])
    assert await db.reader.inbox.retryable_ids() == [ids[("vk", "1")], ids[("vk", "3")]]
    assert await db.reader.inbox.retryable_ids(received_before="2000-01-01T00:00:00+00:00") == []
    assert await db.reader.inbox.retryable_ids(received_before=FUTURE) == [ids[("vk", "1")], ids[("vk", "3")]]


async def test_attempts_are_counted_before_they_are_made(db: Database) -> None:
    ids = await store(db, ("vk", "1", '{"n": 1}'))
    inbox_id = ids[("vk", "1")]
    async with db.transaction() as tx:
        assert await tx.inbox.count_attempts([inbox_id]) == {inbox_id: (2, '{"n": 1}')}  # storing counted one
        assert await tx.inbox.count_attempts([inbox_id]) == {inbox_id: (3, '{"n": 1}')}
        await tx.inbox.mark_processed(inbox_id)
        assert await tx.inbox.count_attempts([inbox_id]) == {}  # closed rows are left out
        assert await tx.inbox.count_attempts([]) == {}


async def test_rows_that_spent_their_attempts_become_dead_letters(db: Database) -> None:
    ids = await store(db, ("vk", "1", '{"n": 1}'), ("vk", "2", '{"n": 2}'))
    spent, fresh = ids[("vk", "1")], ids[("vk", "2")]
    async with db.transaction() as tx:
        await tx.inbox.count_attempts([spent])
        await tx.inbox.note_failure(spent, "ValueError: boom")
        assert await tx.inbox.bury_spent([spent, fresh], 2, "crashed") == [spent]
    letters = await db.reader.inbox.dead_letters(10)
    assert [letter.id for letter in letters] == [spent]
    assert letters[0].error.startswith("crashed") and "ValueError: boom" in letters[0].error
    assert letters[0].payload == '{"n": 1}' and letters[0].attempts == 2
    assert await db.reader.inbox.count_dead_letters() == 1
    assert await db.reader.inbox.retryable_ids() == [fresh]


async def test_a_dead_letter_is_revived_with_no_attempts_or_discarded_keeping_its_key(db: Database) -> None:
    ids = await store(db, ("vk", "1", "{}"), ("vk", "2", "{}"))
    first, second = ids[("vk", "1")], ids[("vk", "2")]
    async with db.transaction() as tx:
        assert await tx.inbox.bury(first, "permanent")
        assert await tx.inbox.bury(second)
        assert not await tx.inbox.bury(second)  # already one
    assert [letter.id for letter in await db.reader.inbox.dead_letters(10)] == [second, first]  # newest first
    assert [letter.id for letter in await db.reader.inbox.dead_letters(10, before_id=second)] == [first]
    async with db.transaction() as tx:
        assert await tx.inbox.revive(first)
        assert await tx.inbox.count_attempts([first]) == {first: (1, "{}")}
        assert await tx.inbox.discard(second)
        assert not await tx.inbox.discard(first)  # no longer a dead letter
    assert await db.reader.inbox.dead_letter(second) is None
    assert await db.reader.inbox.count_dead_letters() == 0
    assert await db.reader.inbox.load_unprocessed(second) is None
    assert await db.reader.inbox.find("vk", "2") == second


async def test_an_unparseable_body_is_a_dead_letter_kept_once(db: Database) -> None:
    async with db.transaction() as tx:
        kept = await tx.inbox.store_unparseable("telegram", "{not json", "not JSON")
        again = await tx.inbox.store_unparseable("telegram", "{not json", "not JSON")
    assert kept is not None and again is None
    letter = await db.reader.inbox.dead_letter(kept)
    assert letter is not None and letter.payload == "{not json" and letter.error == "not JSON"
    assert await db.reader.inbox.retryable_ids() == []


async def test_processed_rows_are_pruned_open_ones_stay(db: Database) -> None:
    ids = await store(db, ("vk", "1", "{}"), ("vk", "2", "{}"))
    async with db.transaction() as tx:
        await tx.inbox.mark_processed(ids[("vk", "1")])
        assert await tx.inbox.prune_processed(FUTURE) == 1
    assert await db.reader.inbox.find("vk", "1") is None
    assert await db.reader.inbox.find("vk", "2") == ids[("vk", "2")]


async def test_a_rolled_back_transaction_stores_nothing(db: Database) -> None:
    try:
        async with db.transaction() as tx:
            await tx.inbox.store_many([("vk", "1", "{}")])
            raise RuntimeError("the handler failed")
    except RuntimeError:
        pass
    assert await db.reader.inbox.find("vk", "1") is None
