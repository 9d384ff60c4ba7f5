"""The residents port, and forgetting one through the privacy port: once erased, really gone."""
from __future__ import annotations

from storage.ports.moderation import ProposalFilter
from storage.ports.privacy import ErasureMode
from storage.ports.repositories import Database
from tests.contract.helpers import proposal, resident


async def test_a_resident_is_created_once_per_channel_and_platform_id(db: Database) -> None:
    async with db.transaction() as tx:
        assert await tx.residents.find("vk", "42") is None
        made = await tx.residents.get_or_create("vk", "42")
        again = await tx.residents.get_or_create("vk", "42")
        other = await tx.residents.get_or_create("telegram", "42")
    assert made.id == again.id != other.id
    found = await db.reader.residents.find("vk", "42")
    assert found is not None and found.id == made.id and found.channel == "vk" and found.external_id == "42"
    assert not found.has_consent and found.reachable and found.state == "" and found.state_data == {}
    assert await db.reader.residents.get(other.id) == other
    assert await db.reader.residents.get(other.id + 1000) is None


async def test_many_residents_are_made_or_found_at_once(db: Database) -> None:
    known = await resident(db, "1")
    async with db.transaction() as tx:
        found = await tx.residents.get_or_create_many([("webchat", "1"), ("webchat", "2"), ("vk", "3")])
    assert set(found) == {("webchat", "1"), ("webchat", "2"), ("vk", "3")}
    assert found[("webchat", "1")].id == known.id and found[("webchat", "1")].has_consent
    assert len({r.id for r in found.values()}) == 3
    assert await db.reader.residents.find("vk", "3") is not None


async def test_consent_is_recorded_declined_and_given_again(db: Database) -> None:
    made = await resident(db, "1", consent=False)
    async with db.transaction() as tx:
        moment = await tx.residents.record_consent(made.id, "2024-05", "Анна")
    given = await db.reader.residents.get(made.id)
    assert given is not None and given.has_consent and given.consent_at == moment
    assert given.consent_version == "2024-05" and given.display_name == "Анна"
    async with db.transaction() as tx:
        await tx.residents.record_decline(made.id)
    declined = await db.reader.residents.get(made.id)
    assert declined is not None and declined.consent_declined_at is not None
    async with db.transaction() as tx:
        await tx.residents.record_consent(made.id, "2024-06", "Анна")
    again = await db.reader.residents.get(made.id)
    assert again is not None and again.consent_declined_at is None and again.consent_version == "2024-06"


async def test_conversation_state_keyboard_and_language_are_kept(db: Database) -> None:
    made = await resident(db, "1")
    made.state = "proposal:awaiting_text"
    made.state_data = {"category": "лавочки", "photos": [1, 2]}
    made.keyboard = {"rows": [["Да", "Нет"]]}
    async with db.transaction() as tx:
        await tx.residents.save_states([made])
        await tx.residents.set_language(made.id, "zh")
    kept = await db.reader.residents.get(made.id)
    assert kept is not None
    assert (kept.state, kept.state_data, kept.keyboard, kept.language) == (
        "proposal:awaiting_text", {"category": "лавочки", "photos": [1, 2]},
        {"rows": [["Да", "Нет"]]}, "zh")
    async with db.transaction() as tx:
        await tx.residents.set_keyboard(made.id, {})
    cleared = await db.reader.residents.get(made.id)
    assert cleared is not None and cleared.keyboard == {} and cleared.state == "proposal:awaiting_text"


async def test_the_first_source_is_kept_and_never_overwritten(db: Database) -> None:
    made = await resident(db, "1")
    async with db.transaction() as tx:
        assert await tx.residents.set_first_source(made.id, "poster-12")
        assert not await tx.residents.set_first_source(made.id, "poster-13")
    kept = await db.reader.residents.get(made.id)
    assert kept is not None and kept.first_source == "poster-12"


async def test_phone_and_reachability_are_set(db: Database) -> None:
    made = await resident(db, "1")
    async with db.transaction() as tx:
        await tx.residents.set_phone(made.id, "+79141234567", True)
        await tx.residents.set_reachable(made.id, False)
    kept = await db.reader.residents.get(made.id)
    assert kept is not None and (kept.phone, kept.phone_verified, kept.reachable) == ("+79141234567", True, False)


async def test_a_forgotten_resident_is_gone_with_their_subscriptions_and_replies(db: Database) -> None:
    anna = await resident(db, "anna", name="Анна Петрова")
    other = await resident(db, "boris")
    kept = await proposal(db, anna, "Скамейки у пруда")
    async with db.transaction() as tx:
        await tx.subscriptions.subscribe(anna.id, "episodes")
        await tx.subscriptions.subscribe(other.id, "episodes")
        await tx.outbox.add_many([("webchat", "anna", None, "ответ", False),
                                  ("webchat", "boris", None, "b", False)])
        erasure = await tx.privacy.forget(anna)
    assert erasure.mode is ErasureMode.KEEP
    assert (erasure.deleted_subscriptions, erasure.deleted_messages, erasure.anonymised_proposals) == (1, 1, 1)
    assert await db.reader.residents.find("webchat", "anna") is None
    assert await db.reader.residents.get(anna.id) is None
    assert await db.reader.subscriptions.topics_of(anna.id) == set()
    assert await db.reader.subscriptions.subscribers("episodes") == [("webchat", "boris", "ru")]
    assert [row.external_id for row in await db.reader.outbox.pending("webchat")] == ["boris"]
    assert await db.reader.proposals.of_resident(anna.id, 10) == []
    card = await db.reader.moderation.card(kept)
    assert card is not None and card.resident_id is None and card.text == "Скамейки у пруда"
    async with db.transaction() as tx:  # writing again makes a new resident, who knows nothing
        back = await tx.residents.get_or_create("webchat", "anna")
    assert back.id != anna.id and not back.has_consent and back.display_name == ""


async def test_forgetting_with_erase_also_erases_the_proposals_words(db: Database) -> None:
    anna = await resident(db, "anna")
    erased = await proposal(db, anna, "Фонтан у библиотеки")
    async with db.transaction() as tx:
        erasure = await tx.privacy.forget(anna, ErasureMode.ERASE)
    assert erasure.erased_proposals == 1
    card = await db.reader.moderation.card(erased)
    assert card is None or "Фонтан" not in card.text
    found, total = await db.reader.moderation.search(ProposalFilter(search="фонтан"), 10)
    assert (found, total) == ([], 0)


async def test_a_deleted_resident_is_gone(db: Database) -> None:
    made = await resident(db, "1")
    async with db.transaction() as tx:
        await tx.residents.delete(made.id)
    assert await db.reader.residents.get(made.id) is None
