"""Search by lemmas on every backend: what is written is found by any form of its words, in the
same transaction's commit, whichever repository wrote it; what is erased or changed is no longer
found; a survey's changed questions re-index its answers. On SQLite FTS5 with triggers, on
PostgreSQL tsvectors computed before commit (storage/postgres/search_index.py)."""
from __future__ import annotations

from storage.moderation import ProposalFilter
from storage.ports.content import ContentKind
from storage.ports.privacy import ErasureMode
from storage.ports.repositories import Database
from tests.contract.helpers import content, proposal, resident


async def found(db: Database, query: str) -> list[int]:
    listed, _ = await db.reader.moderation.search(ProposalFilter(search=query), 10)
    return sorted(item.id for item in listed)


async def test_contest_works_are_found_by_any_form_of_their_words(db: Database) -> None:
    contest = await content(db, ContentKind.CONTESTS, "drawings")
    anna = await resident(db, "anna")
    boris = await resident(db, "boris")
    async with db.transaction() as tx:
        lake = await tx.contests.submit(contest, anna.id, "webchat", "drawing", "7-10",
                                        "Парк с большим озером и лодками", "")
        await tx.contests.submit(contest, boris.id, "webchat", "drawing", "7-10", "Качели и горка", "")
    works, total = await db.reader.contests.search("озеро лодка", status="pending")
    assert total == 1 and [work.id for work in works] == [lake]
    assert await db.reader.contests.search("озеро", status="approved") == ([], 0)
    assert (await db.reader.contests.search("", status="pending"))[1] == 2
    assert (await db.reader.contests.search(""))[1] == 2  # no filter at all: every work


async def test_yo_is_found_as_ye_and_the_other_way_but_short_i_stays_itself(db: Database) -> None:
    anna = await resident(db, "anna")
    tree = await proposal(db, anna, "Поставить ёлку и скамейку")
    other = await proposal(db, anna, "Новая елка у школы")
    assert await found(db, "елка") == [tree, other]
    assert await found(db, "ёлки") == [tree, other]
    assert await found(db, "ЁЛК") == [tree, other]
    assert await found(db, "скамеика") == []


async def test_a_corrected_text_is_found_by_its_new_words_only(db: Database) -> None:
    anna = await resident(db, "anna")
    kept = await proposal(db, anna, "Нужен фонтан")
    async with db.transaction() as tx:
        await tx.moderation.ask_correction(kept, "Где?", "mila")
        assert await tx.moderation.correct(kept, anna.id, "Нужна детская площадка")
    assert await found(db, "площадки") == [kept]
    assert await found(db, "фонтан") == []


async def test_an_erased_proposals_words_leave_the_search(db: Database) -> None:
    anna = await resident(db, "anna")
    await proposal(db, anna, "Дендрарий у школы")
    assert len(await found(db, "дендрарий")) == 1
    async with db.transaction() as tx:
        await tx.privacy.forget(anna, ErasureMode.ERASE)
    assert await found(db, "дендрарий") == []


async def test_a_survey_whose_question_becomes_a_text_question_has_its_answers_found(db: Database) -> None:
    questions = [{"key": "why", "type": "choice"}]
    survey = await content(db, ContentKind.SURVEYS, "opinion", {"key": "opinion", "questions": questions})
    anna = await resident(db, "anna")
    async with db.transaction() as tx:
        response = await tx.surveys.begin(survey, anna.id, "webchat", "why")
        response.answers["why"] = "Нет скамеек у пруда"
        await tx.surveys.save(response)
    assert await db.reader.surveys.search("скамейка") == ([], 0)  # not a text question: not indexed
    await content(db, ContentKind.SURVEYS, "opinion", {"key": "opinion", "questions": [{"key": "why", "type": "text"}]})
    hits, total = await db.reader.surveys.search("скамейка")
    assert total == 1 and hits[0].text_answers == [("why", "Нет скамеек у пруда")]


async def test_a_surveys_answers_are_counted_with_each_option_of_a_list(db: Database) -> None:
    survey = await content(db, ContentKind.SURVEYS, "opinion", {"key": "opinion", "questions": []})
    answers = [{"what": ["swings", "benches"], "age": 40}, {"what": ["benches"], "age": 40}, {"what": "lights"}]
    for number, given in enumerate(answers):
        someone = await resident(db, f"r{number}")
        async with db.transaction() as tx:
            response = await tx.surveys.begin(survey, someone.id, "webchat", "what")
            response.answers.update(given)
            await tx.surveys.save(response)
    assert await db.reader.statistics.survey_answers(survey, "what") == {"benches": 2, "swings": 1, "lights": 1}
    assert await db.reader.statistics.survey_answers(survey, "age") == {"40": 2}
    assert await db.reader.statistics.survey_answers(survey, "missing") == {}
