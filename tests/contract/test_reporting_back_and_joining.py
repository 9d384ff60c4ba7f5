"""Reporting back and «Присоединяйтесь» through their ports: who is due a digest and of what,
marks that make a digest once; deliveries that carry their own message; offers to help, one per
resident, listed, filtered, paged, counted and erased."""
from __future__ import annotations

from storage.ports.broadcasts import PersonalMessage
from storage.ports.repositories import Database
from storage.ports.volunteers import NewVolunteer, VolunteerFilter
from storage.statuses import ProposalEventKind, ProposalStatus
from tests.contract.helpers import proposal, resident

BEFORE = "9999-01-01T00:00:00+00:00"   # any last digest was before it
NOW = "2024-06-01T00:00:00+00:00"


async def test_an_author_is_due_once_for_staff_steps_and_not_for_their_own_or_spam(db: Database) -> None:
    anna, boris = await resident(db, "anna"), await resident(db, "boris")
    told = await proposal(db, anna, "Скамейки у пруда")
    spam = await proposal(db, boris, "Купите слона")
    await proposal(db, boris, "Фонари на аллее")
    assert await db.reader.digests.due(BEFORE, 0, 10) == []          # nothing happened yet
    async with db.transaction() as tx:
        await tx.moderation.set_status(told, ProposalStatus.ACCEPTED, "mila")
        await tx.moderation.event(told, "mila", ProposalEventKind.ANSWER, "Включим в проект")
        await tx.moderation.event(told, "egor", ProposalEventKind.OPINION, "возможно")
        await tx.moderation.set_status(spam, ProposalStatus.SPAM, "mila")
    due = await db.reader.digests.due(BEFORE, 0, 10)
    assert [(d.resident_id, d.told_up_to) for d in due] == [(anna.id, 0)]
    news = await db.reader.digests.news(anna.id, 0)
    assert [(n.proposal_id, n.status, n.answer, n.changed) for n in news] == [
        (told, ProposalStatus.ACCEPTED, "Включим в проект", True)]
    async with db.transaction() as tx:
        await tx.digests.mark(anna.id, news[0].last_event, NOW)
    assert await db.reader.digests.due(BEFORE, 0, 10) == []
    assert await db.reader.digests.last_sent(anna.id) == NOW
    assert await db.reader.digests.due(BEFORE, anna.id, 10) == []
    outcomes = await db.reader.digests.outcomes(anna.id, 10)
    assert [(o.proposal_id, o.answer) for o in outcomes] == [(told, "Включим в проект")]
    assert await db.reader.digests.count_proposals(boris.id) == 2


async def test_a_delivery_carries_its_own_message_until_it_is_settled(db: Database) -> None:
    anna = await resident(db, "anna")
    async with db.transaction() as tx:
        broadcast = await tx.broadcasts.create_personal(
            title="Итоги", texts={"ru": "—"}, created_by="digests",
            messages=[PersonalMessage(anna.id, "webchat", "anna", "ru", '{"text": "Ваше П-1 принято"}')])
        claimed = await tx.broadcasts.claim("webchat", 10, NOW)
    assert [(c.broadcast_id, c.reply) for c in claimed] == [(broadcast, '{"text": "Ваше П-1 принято"}')]
    async with db.transaction() as tx:
        await tx.broadcasts.record([(claimed[0].id, "sent", None, None, 1)])
    assert (await db.reader.broadcasts.counts(broadcast))["sent"] == 1


async def test_one_offer_per_resident_listed_filtered_counted_and_left(db: Database) -> None:
    anna, club = await resident(db, "anna"), await resident(db, "club", channel="vk")

    def offer(who, kind: str, name: str, help_: tuple[str, ...]) -> NewVolunteer:
        return NewVolunteer(resident_id=who.id, channel=who.channel, kind=kind, name=name, contact_kind="email",
                            contact="a@example.org", help=help_, help_other="", consent_at=NOW)
    async with db.transaction() as tx:
        await tx.volunteers.join(offer(anna, "person", "Анна", ("events",)))
        await tx.volunteers.join(offer(anna, "person", "Анна Петрова", ("events", "spread")))
        await tx.volunteers.join(offer(club, "organisation", "Клуб", ("cleanup",)))
    count = await db.reader.volunteers.count_joined()
    assert (count.people, count.organisations) == (1, 1)
    found = await db.reader.volunteers.of_resident(anna.id)
    assert found is not None and (found.name, found.help, found.external_id) == ("Анна Петрова", ("events", "spread"),
                                                                                 "anna")
    listed, total = await db.reader.volunteers.listed(VolunteerFilter(help="spread"), 10)
    assert [v.name for v in listed] == ["Анна Петрова"] and total == 1
    listed, total = await db.reader.volunteers.listed(VolunteerFilter(channel="vk"), 10)
    assert [v.name for v in listed] == ["Клуб"] and total == 1
    pages = [[v.name for v in page] async for page in db.reader.volunteers.pages(VolunteerFilter(), 1)]
    assert pages == [["Анна Петрова"], ["Клуб"]]
    async with db.transaction() as tx:
        assert await tx.volunteers.leave(anna.id) is True
        assert await tx.volunteers.leave(anna.id) is False
    assert await db.reader.volunteers.of_resident(anna.id) is None
