"""The public page's reads through their port: only what staff published, never spam, merged
duplicates or a text changed since staff read it; filters that are parameters; a revision
that moves with every change the page shows."""
from __future__ import annotations

from storage.ports.public import PublicFilter
from storage.ports.repositories import Database
from tests.contract.helpers import proposal, resident

NOW = "2030-01-01T00:00:00+00:00"
EVERYTHING = PublicFilter()


async def publish(db: Database, proposal_id: int, text: str, answer: str = "") -> bool:
    async with db.transaction() as tx:
        return await tx.public.publish(proposal_id, True, text, answer)


async def shown(db: Database, filters: PublicFilter = EVERYTHING, located_only: bool = False) -> list[int]:
    found, total = await db.reader.public.proposals(filters, 100, 0, located_only)
    assert total == len(found)
    return [p.id for p in found]


async def test_only_published_proposals_are_shown_and_never_spam_or_duplicates(db: Database) -> None:
    anna = await resident(db, "anna")
    unpublished = await proposal(db, anna, "Скамейки")
    benches = await proposal(db, anna, "Скамейки у пруда", category="benches", status="accepted")
    trees = await proposal(db, anna, "Деревья", status="in_review")
    spam = await proposal(db, anna, "Купите слона")
    twin = await proposal(db, anna, "Скамейки у пруда ещё раз")
    for made in (benches, trees, spam, twin):
        assert await publish(db, made, f"Текст {made}", "Будет сделано")
    async with db.transaction() as tx:
        await tx.moderation.set_status(spam, "spam", "mila")
        await tx.moderation.set_status(twin, "duplicate", "mila", duplicate_of=benches)
    assert await shown(db) == [trees, benches]
    assert unpublished not in await shown(db)
    listed, _ = await db.reader.public.proposals(PublicFilter(), 10)
    assert (listed[1].text, listed[1].answer, listed[1].status) == (f"Текст {benches}", "Будет сделано", "accepted")
    assert await shown(db, PublicFilter(category="benches")) == [benches]
    assert await shown(db, PublicFilter(status="in_review")) == [trees]
    assert await shown(db, PublicFilter(status="spam")) == []
    assert await shown(db, PublicFilter(category="' OR 1=1 --")) == []


async def test_a_changed_text_leaves_the_page_until_published_again(db: Database) -> None:
    anna = await resident(db, "anna")
    made = await proposal(db, anna, "Фонтан")
    await publish(db, made, "Фонтан")
    async with db.transaction() as tx:
        assert await tx.moderation.correct(made, anna.id, "Фонтан у библиотеки, звоните Анне")
    assert await shown(db) == []
    publication = await db.reader.public.publication(made)
    assert publication is not None and (publication.public, publication.text) == (False, "")
    assert await publish(db, made, "Фонтан у библиотеки")
    assert await shown(db) == [made]


async def test_hiding_drops_the_text_and_a_repeat_changes_nothing(db: Database) -> None:
    anna = await resident(db, "anna")
    made = await proposal(db, anna, "Фонтан")
    assert await publish(db, made, "Фонтан", "Да")
    assert not await publish(db, made, "Фонтан", "Да")
    async with db.transaction() as tx:
        assert await tx.public.publish(made, False, "Фонтан", "Да")
        assert not await tx.public.publish(made + 100, True, "x", "")
    publication = await db.reader.public.publication(made)
    assert publication is not None and (publication.public, publication.text, publication.answer) == (False, "", "Да")
    assert await db.reader.public.publication(made + 100) is None
    assert await shown(db) == []


async def test_the_revision_moves_with_what_the_page_shows(db: Database) -> None:
    anna = await resident(db, "anna")
    made = await proposal(db, anna, "Фонтан")
    before = await db.reader.public.revision(NOW)
    assert await db.reader.public.revision(NOW) == before
    await publish(db, made, "Фонтан")
    published = await db.reader.public.revision(NOW)
    assert published != before
    await publish(db, made, "Фонтан", "Ответ для всех")
    answered = await db.reader.public.revision(NOW)
    assert answered != published
    async with db.transaction() as tx:
        await tx.moderation.set_status(made, "accepted", "mila")
    assert await db.reader.public.revision(NOW) != answered


async def test_only_located_proposals_when_the_map_asks(db: Database) -> None:
    from storage.ports.proposals import NewProposal

    anna = await resident(db, "anna")
    nowhere = await proposal(db, anna, "Где-то")
    async with db.transaction() as tx:
        placed = await tx.proposals.create(NewProposal(anna.id, "webchat", None, "greenery", "У пруда",
                                                       latitude=50.1, longitude=118.0))
    await publish(db, nowhere, "Где-то")
    await publish(db, placed, "У пруда")
    assert await shown(db) == [placed, nowhere]
    assert await shown(db, located_only=True) == [placed]
