"""What the panel's statistics page reads: proposals counted per week of the town's calendar."""
from __future__ import annotations

from storage.ports.repositories import Database
from tests import stored
from tests.contract.helpers import proposal, resident


async def test_proposals_are_counted_per_week_from_monday_in_the_towns_time(db: Database) -> None:
    anna = await resident(db, "anna")
    made = {"2024-06-02T10:00:00.000000+00:00": "воскресенье",  # Sunday: the week of Monday 27 May
            "2024-06-02T22:30:00.000000+00:00": "поздно",  # Sunday in UTC, already Monday 3 June at UTC+3
            "2024-06-05T12:00:00.123456+00:00": "среда"}  # Wednesday: the week of Monday 3 June
    for created_at, text in made.items():
        proposal_id = await proposal(db, anna, text)
        async with db.transaction() as tx:
            await stored.change(tx, "proposals", {"id": proposal_id}, created_at=created_at)
    assert await db.reader.statistics.proposals_by_week() == [("2024-05-27", 2), ("2024-06-03", 1)]
    assert await db.reader.statistics.proposals_by_week(offset_minutes=180) == [("2024-05-27", 1), ("2024-06-03", 2)]
    assert await db.reader.statistics.proposals_by_week(since="2024-06-03") == [("2024-06-03", 1)]


async def test_residents_are_counted_per_channel_with_who_consented_subscribes_and_can_be_written_to(
        db: Database) -> None:
    anna = await resident(db, "anna")
    boris = await resident(db, "boris")
    await resident(db, "vera", consent=False)
    await resident(db, "1", channel="vk")
    async with db.transaction() as tx:
        await tx.subscriptions.subscribe(anna.id, "news")
        await tx.subscriptions.subscribe(anna.id, "results")
        await stored.change(tx, "residents", {"id": boris.id}, reachable=0)
    assert [(r.key, r.residents, r.consented, r.subscribers, r.reachable)
            for r in await db.reader.statistics.reach_by_channel()] == [("webchat", 3, 2, 1, 2), ("vk", 1, 1, 0, 1)]
