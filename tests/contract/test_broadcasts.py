"""Broadcasts and subscriptions through their ports: one delivery row per recipient, claimed in
pages, outcomes recorded, staff control; topics residents follow."""
from __future__ import annotations

from storage.ports.repositories import Database
from tests.contract.helpers import Audience, resident

NOW = "2024-06-01T00:00:00+00:00"
FUTURE = "9999-01-01T00:00:00+00:00"


async def create(db: Database, audience: Audience, *, status: str = "sending", send_at: str | None = None,
                 title: str = "Новости") -> tuple[int, int]:
    async with db.transaction() as tx:
        return await tx.broadcasts.create(title=title, texts={"ru": "Привет", "en": "Hello"},
                                          buttons=[[{"label": "Ок"}]], media=[], audience=audience, topic=None,
                                          status=status, send_at=send_at, created_by="mila")


async def test_a_resident_follows_topics_once_and_leaves_them(db: Database) -> None:
    anna, boris = await resident(db, "anna"), await resident(db, "boris", channel="vk", language="en")
    async with db.transaction() as tx:
        await tx.subscriptions.subscribe(anna.id, "episodes")
        await tx.subscriptions.subscribe(anna.id, "episodes")
        await tx.subscriptions.subscribe(anna.id, "polls")
        await tx.subscriptions.subscribe(boris.id, "episodes")
    assert await db.reader.subscriptions.topics_of(anna.id) == {"episodes", "polls"}
    assert await db.reader.subscriptions.subscribers("episodes") == [("webchat", "anna", "ru"), ("vk", "boris", "en")]
    async with db.transaction() as tx:
        await tx.subscriptions.unsubscribe(anna.id, "polls")
        await tx.residents.set_reachable(boris.id, False)
    assert await db.reader.subscriptions.topics_of(anna.id) == {"episodes"}
    assert await db.reader.subscriptions.subscribers("episodes") == [("webchat", "anna", "ru")]  # reachable only
    async with db.transaction() as tx:
        assert await tx.subscriptions.unsubscribe_all(anna.id) == 1
    assert await db.reader.subscriptions.topics_of(anna.id) == set()


async def test_a_broadcast_has_one_pending_delivery_per_consenting_reachable_resident(db: Database) -> None:
    anna = await resident(db, "anna")
    await resident(db, "boris", channel="vk", language="en")
    await resident(db, "no-consent", consent=False)
    gone = await resident(db, "gone")
    async with db.transaction() as tx:
        await tx.residents.set_reachable(gone.id, False)
    assert await db.reader.broadcasts.count_audience(Audience()) == 2
    assert await db.reader.broadcasts.count_by_channel(Audience()) == {"vk": 1, "webchat": 1}
    broadcast, recipients = await create(db, Audience())
    assert recipients == 2
    counts = await db.reader.broadcasts.counts(broadcast)
    assert counts["pending"] == 2 and sum(counts.values()) == 2 and counts["sent"] == 0
    row = await db.reader.broadcasts.get(broadcast)
    assert row is not None and (row.title, row.texts, row.recipients, row.status, row.created_by) == (
        "Новости", {"ru": "Привет", "en": "Hello"}, 2, "sending", "mila")
    assert row.buttons == [[{"label": "Ок"}]] and row.audience["topic"] is None
    async with db.transaction() as tx:  # the audience was fixed when it was made
        await tx.residents.record_consent(anna.id, "v2", "Анна")
        await tx.residents.get_or_create("webchat", "newcomer")
    assert await db.reader.broadcasts.counts(broadcast) == counts


async def test_the_audience_is_narrowed_by_topic_channel_and_language(db: Database) -> None:
    anna = await resident(db, "anna")
    await resident(db, "boris", channel="vk", language="en")
    async with db.transaction() as tx:
        await tx.subscriptions.subscribe(anna.id, "episodes")
    assert await db.reader.broadcasts.count_audience(Audience(topic="episodes")) == 1
    assert await db.reader.broadcasts.count_audience(Audience(channels=["vk"])) == 1
    assert await db.reader.broadcasts.count_audience(Audience(languages=["en", "zh"])) == 1
    assert await db.reader.broadcasts.count_audience(Audience(channels=["ok"])) == 0
    _, recipients = await create(db, Audience(topic="episodes"))
    assert recipients == 1


async def test_deliveries_are_claimed_in_pages_and_outcomes_recorded(db: Database) -> None:
    for n in range(5):
        await resident(db, f"r{n}")
    broadcast, _ = await create(db, Audience())
    async with db.transaction() as tx:
        assert await tx.broadcasts.has_due("webchat", NOW)
        first = await tx.broadcasts.claim("webchat", 3, NOW)
        second = await tx.broadcasts.claim("webchat", 3, NOW)
        assert await tx.broadcasts.claim("vk", 3, NOW) == []
    assert [c.external_id for c in first] == ["r0", "r1", "r2"] and [c.external_id for c in second] == ["r3", "r4"]
    assert [c.id for c in first + second] == sorted(c.id for c in first + second)
    assert {c.broadcast_id for c in first} == {broadcast} and first[0].language == "ru"
    assert (await db.reader.broadcasts.counts(broadcast))["sending"] == 5
    async with db.transaction() as tx:
        assert not await tx.broadcasts.has_due("webchat", NOW)
        outcomes = [(c.id, "sent", None, None, 1) for c in first] + [(second[0].id, "failed", None, "blocked", 1),
                                                                      (second[1].id, "pending", FUTURE, "429", 1)]
        assert await tx.broadcasts.record(outcomes) == 5
        assert await tx.broadcasts.record([(first[0].id, "failed", None, "late", 2)]) == 0  # no longer in flight
        assert await tx.broadcasts.claim("webchat", 10, NOW) == []  # the retry waits for its time
        assert await tx.broadcasts.finish_done() == []
    counts = await db.reader.broadcasts.counts(broadcast)
    assert (counts["sent"], counts["failed"], counts["pending"]) == (3, 1, 1)
    async with db.transaction() as tx:
        retry = await tx.broadcasts.claim("webchat", 10, FUTURE)
        assert [c.attempts for c in retry] == [1]
        await tx.broadcasts.record([(retry[0].id, "sent", None, None, 2)])
        assert await tx.broadcasts.finish_done() == [broadcast]
    assert await db.reader.broadcasts.statuses([broadcast]) == {broadcast: "done"}


async def test_claimed_deliveries_go_back_when_released_or_after_a_crash(db: Database) -> None:
    for n in range(3):
        await resident(db, f"r{n}")
    broadcast, _ = await create(db, Audience())
    async with db.transaction() as tx:
        claimed = await tx.broadcasts.claim("webchat", 3, NOW)
        await tx.broadcasts.release([claimed[0].id])
    assert (await db.reader.broadcasts.counts(broadcast))["pending"] == 1
    async with db.transaction() as tx:
        assert await tx.broadcasts.release_in_flight("telegram") == 0  # another channel's sender
        assert await tx.broadcasts.release_in_flight("webchat") == 2
    assert (await db.reader.broadcasts.counts(broadcast))["pending"] == 3
    async with db.transaction() as tx:
        await tx.broadcasts.claim("webchat", 3, NOW)
        assert await tx.broadcasts.release_in_flight() == 3  # every channel


async def test_staff_pause_resume_and_cancel_within_the_allowed_moves(db: Database) -> None:
    await resident(db, "anna")
    broadcast, _ = await create(db, Audience())
    async with db.transaction() as tx:
        assert await tx.broadcasts.set_status(broadcast, "paused", ["sending"])
        assert not await tx.broadcasts.set_status(broadcast, "paused", ["sending"])
        assert await tx.broadcasts.claim("webchat", 10, NOW) == []  # a paused one sends nothing
        assert await tx.broadcasts.set_status(broadcast, "cancelled", ["sending", "paused"])
        assert await tx.broadcasts.skip_pending(broadcast) == 1
    row = await db.reader.broadcasts.get(broadcast)
    assert row is not None and row.status == "cancelled" and row.finished_at is not None
    assert (await db.reader.broadcasts.counts(broadcast))["skipped"] == 1


async def test_a_scheduled_broadcast_starts_when_its_time_comes(db: Database) -> None:
    await resident(db, "anna")
    broadcast, _ = await create(db, Audience(), status="scheduled", send_at="2024-06-02T00:00:00+00:00")
    async with db.transaction() as tx:
        assert not await tx.broadcasts.anything_to_tick(NOW)
        assert await tx.broadcasts.start_due(NOW) == []
        assert await tx.broadcasts.anything_to_tick(FUTURE)
        assert await tx.broadcasts.start_due(FUTURE) == [broadcast]
    assert await db.reader.broadcasts.sending_ids() == [broadcast]
    assert [b.id for b in await db.reader.broadcasts.recent()] == [broadcast]


async def test_a_resident_who_cannot_be_written_to_leaves_every_topic(db: Database) -> None:
    anna = await resident(db, "anna")
    async with db.transaction() as tx:
        await tx.subscriptions.subscribe(anna.id, "episodes")
        await tx.broadcasts.forget_unreachable([anna.id, anna.id])
    kept = await db.reader.residents.get(anna.id)
    assert kept is not None and not kept.reachable
    assert await db.reader.subscriptions.topics_of(anna.id) == set()
    assert await db.reader.broadcasts.count_audience(Audience()) == 0
