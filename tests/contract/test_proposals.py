"""Proposals through their ports: made by a resident, listed, moderated, corrected, supported
and found by any form of their words."""
from __future__ import annotations

from storage.ports.moderation import ProposalFilter
from storage.ports.proposals import NewProposal
from storage.ports.repositories import Database
from tests.contract.helpers import proposal, resident

PUBLIC = ("accepted", "in_review")


async def test_a_proposal_is_listed_for_its_author_newest_first(db: Database) -> None:
    anna = await resident(db, "anna")
    async with db.transaction() as tx:
        first = await tx.proposals.create(NewProposal(anna.id, "webchat", "poster-1", "greenery", "Деревья",
                                                      photos=(("ab/1.jpg", "image/jpeg"), ("cd/2.jpg", "image/png"))))
        second = await tx.proposals.create(NewProposal(anna.id, "webchat", None, "benches", "Скамейки",
                                                       address="ул. Ленина, 1", latitude=50.1, longitude=118.0))
    listed = await db.reader.proposals.of_resident(anna.id, 10)
    assert [(p.id, p.category, p.text, p.status, p.photos, p.has_location) for p in listed] == [
        (second, "benches", "Скамейки", "new", 0, True), (first, "greenery", "Деревья", "new", 2, False)]
    assert [p.id for p in await db.reader.proposals.of_resident(anna.id, 1)] == [second]
    assert await db.reader.proposals.count_of_resident(anna.id) == 2
    assert await db.reader.proposals.attachments(first) == [("ab/1.jpg", "image/jpeg"), ("cd/2.jpg", "image/png")]
    card = await db.reader.moderation.card(second)
    assert card is not None and (card.channel, card.source, card.address, card.latitude) == (
        "webchat", "", "ул. Ленина, 1", 50.1)


async def test_a_status_change_is_written_once_in_the_history(db: Database) -> None:
    anna = await resident(db, "anna")
    made = await proposal(db, anna, "Фонтан")
    async with db.transaction() as tx:
        assert await tx.moderation.set_status(made, "accepted", "mila", reason="хорошая идея") == "new"
        assert await tx.moderation.set_status(made, "accepted", "mila") is None  # no change, nobody told twice
        assert await tx.moderation.set_status(made + 100, "accepted", "mila") is None
    card = await db.reader.moderation.card(made)
    assert card is not None and card.status == "accepted" and card.status_reason == "хорошая идея"
    changes = [(e.actor, e.from_status, e.to_status) for e in card.events if e.to_status]
    assert changes == [("mila", "new", "accepted")]
    assert await db.reader.moderation.statuses([made, made + 100]) == {made: "accepted"}
    assert await db.reader.moderation.existing([made, made + 100]) == [made]


async def test_the_list_filters_by_status_and_category_and_hides_spam(db: Database) -> None:
    anna = await resident(db, "anna")
    benches = await proposal(db, anna, "Скамейки", category="benches")
    trees = await proposal(db, anna, "Деревья", category="greenery", status="accepted")
    spam = await proposal(db, anna, "Купите слона", status="spam")
    found, total = await db.reader.moderation.search(ProposalFilter(), 10)
    assert total == 2 and sorted(p.id for p in found) == [benches, trees]
    found, total = await db.reader.moderation.search(ProposalFilter(status="spam"), 10)
    assert (total, [p.id for p in found]) == (1, [spam])
    found, total = await db.reader.moderation.search(ProposalFilter(category="greenery"), 10)
    assert (total, [p.id for p in found]) == (1, [trees])
    page, total = await db.reader.moderation.search(ProposalFilter(), 1, offset=1)
    assert total == 2 and len(page) == 1


async def test_proposals_are_found_by_any_form_of_their_words(db: Database) -> None:
    anna = await resident(db, "anna")
    benches = await proposal(db, anna, "Поставить скамейки у пруда")
    bench = await proposal(db, anna, "Скамейка у входа сломана")
    fountain = await proposal(db, anna, "Фонтан в парке у библиотеки")
    for query in ("скамейка", "скамейки", "скамейку", "скамей"):
        found, _ = await db.reader.moderation.search(ProposalFilter(search=query), 10)
        assert sorted(p.id for p in found) == [benches, bench], query
    found, _ = await db.reader.moderation.search(ProposalFilter(search="в парке"), 10)
    assert [p.id for p in found] == [fountain]
    found, _ = await db.reader.moderation.search(ProposalFilter(search="сломанные скамейки"), 10)
    assert [p.id for p in found] == [bench]
    found, _ = await db.reader.moderation.search(ProposalFilter(search='" OR NEAR( *'), 10)
    assert found == []  # what staff type is searched as words, never read as syntax


async def test_a_corrected_text_replaces_the_old_one_and_closes_the_question(db: Database) -> None:
    anna = await resident(db, "anna")
    boris = await resident(db, "boris")
    made = await proposal(db, anna, "Сделать что-то")
    async with db.transaction() as tx:
        await tx.moderation.ask_correction(made, "Что именно и где?", "mila")
    assert await db.reader.moderation.open_question(made) == "Что именно и где?"
    assert await db.reader.moderation.open_questions_of(anna.id) == [made]
    awaiting, _ = await db.reader.moderation.search(ProposalFilter(awaiting_correction=True), 10)
    assert [p.id for p in awaiting] == [made] and awaiting[0].awaiting_correction
    async with db.transaction() as tx:
        assert not await tx.moderation.correct(made, boris.id, "чужой текст")  # only the author corrects
        assert await tx.moderation.correct(made, anna.id, "Скамейки у пруда")
    card = await db.reader.moderation.card(made)
    assert card is not None and card.text == "Скамейки у пруда" and card.open_question is None
    assert any("Сделать что-то" in e.text for e in card.events if e.kind == "correction")
    assert await db.reader.moderation.open_questions_of(anna.id) == []


async def test_an_expert_gives_one_opinion_and_may_change_it(db: Database) -> None:
    anna = await resident(db, "anna")
    made = await proposal(db, anna, "Фонтан")
    async with db.transaction() as tx:
        await tx.moderation.give_opinion(made, 7, "expert", "possible", "")
        await tx.moderation.give_opinion(made, 7, "expert", "impossible", "нет воды")
    card = await db.reader.moderation.card(made)
    assert card is not None and [(o.verdict, o.comment) for o in card.opinions] == [("impossible", "нет воды")]


async def test_answer_templates_are_saved_changed_and_deleted(db: Database) -> None:
    async with db.transaction() as tx:
        first = await tx.moderation.save_template(None, "Спасибо", "Спасибо за предложение")
        second = await tx.moderation.save_template(None, "Адрес", "Уточните адрес")
        assert await tx.moderation.save_template(first, "Благодарность", "Спасибо!") == first
        await tx.moderation.delete_template(second)
    assert [(t.id, t.title, t.text) for t in await db.reader.moderation.templates()] == [
        (first, "Благодарность", "Спасибо!")]


async def test_a_resident_supports_anothers_public_proposal_once(db: Database) -> None:
    anna, boris, vera = [await resident(db, name) for name in ("anna", "boris", "vera")]
    public = await proposal(db, anna, "Скамейки", status="accepted")
    hidden = await proposal(db, anna, "Спам", status="spam")
    async with db.transaction() as tx:
        assert await tx.supports.supportable(public, boris.id, PUBLIC)
        assert not await tx.supports.supportable(public, anna.id, PUBLIC)  # not one's own
        assert not await tx.supports.supportable(hidden, boris.id, PUBLIC)
        assert not await tx.supports.supportable(public + 100, boris.id, PUBLIC)
        assert await tx.supports.add(public, boris.id)
        assert not await tx.supports.add(public, boris.id)
        assert await tx.supports.add(public, vera.id)
    assert await db.reader.supports.count(public) == 2
    assert await db.reader.supports.of_resident(boris.id) == [public]
    listed, _ = await db.reader.moderation.search(ProposalFilter(status="accepted"), 10)
    assert [(p.id, p.supports) for p in listed] == [(public, 2)]


async def test_a_merged_duplicates_supporters_and_author_move_to_the_original(db: Database) -> None:
    anna, boris, vera = [await resident(db, name) for name in ("anna", "boris", "vera")]
    original = await proposal(db, anna, "Скамейки у пруда", status="accepted")
    duplicate = await proposal(db, boris, "Лавочки у пруда", status="accepted")
    async with db.transaction() as tx:
        await tx.supports.add(duplicate, vera.id)
        await tx.supports.add(duplicate, anna.id)  # the original's author: not a supporter of their own
        assert await tx.supports.move(duplicate, original) == 2  # vera, and boris who wrote the duplicate
    assert await db.reader.supports.count(duplicate) == 0
    assert await db.reader.supports.count(original) == 2


async def test_an_author_who_leaves_leaves_their_proposals_behind(db: Database) -> None:
    anna = await resident(db, "anna")
    made = await proposal(db, anna, "Скамейки")
    async with db.transaction() as tx:
        assert await tx.proposals.disown(anna.id) == 1
    assert await db.reader.proposals.count_of_resident(anna.id) == 0
    card = await db.reader.moderation.card(made)
    assert card is not None and card.resident_id is None and card.text == "Скамейки"


async def test_residents_loaded_for_a_batch_say_whether_a_proposal_waits_for_their_correction(db: Database) -> None:
    anna = await resident(db, "anna")
    await resident(db, "boris")
    made = await proposal(db, anna, "Сделать что-то")

    async def awaiting() -> dict[str, bool | None]:
        async with db.transaction() as tx:
            found = await tx.residents.get_or_create_many([("webchat", "anna"), ("webchat", "boris"),
                                                           ("webchat", "new")])
        return {external_id: r.awaits_correction for (_, external_id), r in found.items()}

    assert await awaiting() == {"anna": False, "boris": False, "new": False}
    async with db.transaction() as tx:
        await tx.moderation.ask_correction(made, "Что именно и где?", "mila")
    assert await awaiting() == {"anna": True, "boris": False, "new": False}
    async with db.transaction() as tx:
        assert await tx.moderation.correct(made, anna.id, "Скамейки у пруда")
    assert await awaiting() == {"anna": False, "boris": False, "new": False}
