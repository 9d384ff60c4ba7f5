"""Staff find residents' words in any form: «скамейка» finds «скамейки», «парк» finds «в парке» —
in proposals (the list and its exports), survey text answers and contest works; whatever they
type is searched as words; a forgotten resident's words leave the index; an old database is
re-indexed when it is upgraded."""
from __future__ import annotations

import json
from pathlib import Path

from storage.database import Database
from storage.moderation import ProposalFilter
from tests import stored
from tests.drivers import load_content_into
from tests.drivers.panel import StaffBrowser, make_staff
from tests.drivers.webchat import world
from tests.journey import all_text, onboard, propose, send_contest_work
from tests.stored import database_at_version, put

CONTENT = Path(__file__).parent / "fixtures" / "content"
INDEXES = ("proposals_fts", "survey_answers_fts", "contest_entries_fts")


async def answer_survey(w, resident, why_not: str) -> None:
    await resident.press("menu:surveys")
    await resident.press("survey:opinion")
    await resident.press("sa:opinion:1:0:never")
    await resident.send_text(why_not)
    await resident.send_text("40")
    await resident.press("sa:opinion:1:5:_skip")
    await resident.press("sa:opinion:1:6:_skip")


async def send_work(resident, text: str) -> None:
    sent = await send_contest_work(resident, text)
    assert "отправлена на проверку" in all_text(sent)


async def in_index_tables(w, piece: str) -> list[str]:
    """The search index tables holding ``piece`` (on SQLite their shadow tables too: content, data blobs)."""
    names = await stored.search_index_tables(w.app.db)
    if stored.engine(w.app.db) == "postgresql":  # the lemmas in each index's own table
        assert {index.replace("_fts", "_search") for index in INDEXES} <= set(names)
    else:  # the lemmas in FTS5's data blobs
        assert {f"{index}_data" for index in INDEXES} <= set(names)
    return await stored.columns_holding(w.app.db, piece, names)


async def test_a_moderator_finds_proposals_by_any_form_of_their_words_and_exports_what_was_found(tmp_path):
    async with world(tmp_path) as w:
        residents = [w.resident() for _ in range(3)]
        receipts = []
        for resident, text in zip(residents, ("Поставить скамейки у пруда", "Скамейка у входа сломана",
                                              "Фонтан в парке у библиотеки")):
            await onboard(resident)
            receipts.append(await propose(resident, text, photo=False, point=None))
        benches, bench, fountain = receipts
        await make_staff(w.app, "mila", "moderator")
        async with StaffBrowser.of(w.app) as mila:
            await mila.login("mila")
            for query in ("скамейка", "скамейки", "скамейку", "скамей"):
                page = await mila.get(f"/admin/proposals?q={query}")
                assert benches in page.text and bench in page.text and fountain not in page.text, query
            page = await mila.get("/admin/proposals?q=парк")
            assert fountain in page.text and benches not in page.text
            page = await mila.get("/admin/proposals?q=в парке")  # «в» is a stop word, not a required one
            assert fountain in page.text and bench not in page.text
            page = await mila.get("/admin/proposals?q=сломанные скамейки")
            assert bench in page.text and benches not in page.text

            exported = await mila.get("/admin/exports/download?format=json&q=скамейка")
            assert exported.status == 200
            assert sorted(item["text"] for item in json.loads(exported.body)) == [
                "Поставить скамейки у пруда", "Скамейка у входа сломана"]


async def test_whatever_staff_type_is_searched_as_words_never_as_search_syntax(tmp_path):
    async with world(tmp_path) as w:
        resident = w.resident()
        await onboard(resident)
        receipt = await propose(resident, "Поставить скамейки у пруда", photo=False, point=None)
        await make_staff(w.app, "mila", "moderator")
        async with StaffBrowser.of(w.app) as mila:
            await mila.login("mila")
            for query in ('"скамейка"', "скамейка*", '"скамейка', "^скамейка", "(скамейка)", "скамейка + ."):
                page = await mila.get("/admin/proposals", params={"q": query})
                assert page.status == 200 and receipt in page.text, query
            for query in ("скамейка AND", "NEAR(скамейка", 'скамейка" OR "*', "*", '"', "AND OR NOT", "NEAR(",
                          "скамейка NOT пруд", "text:скамейка", "{text address}: пруд", "скамейка -пруд"):
                page = await mila.get("/admin/proposals", params={"q": query})
                assert page.status == 200 and "найдено" in page.text, query
        reader = w.app.db.reader
        for query in ("NEAR(пруд", '"*', "AND", "answers:пруд", "text:пруд"):
            assert await reader.surveys.search(query) == ([], 0)
            assert await reader.contests.search(query) == ([], 0)


async def test_staff_find_survey_text_answers_and_contest_works_by_any_form_of_their_words(tmp_path):
    async with world(tmp_path) as w:
        await load_content_into(w.app, CONTENT / "survey.yaml")
        await load_content_into(w.app, CONTENT / "quizzes_contests.yaml")
        first, second = w.resident(), w.resident()
        await onboard(first)
        await onboard(second)
        await answer_survey(w, first, "Далеко идти, и нет скамеек у пруда")
        await answer_survey(w, second, "Нет времени")
        await send_work(first, "Парк с большим озером и лодками")
        await send_work(second, "Качели и горка")

        found, total = await w.app.db.reader.surveys.search("скамейка")
        assert total == 1 and found[0].text_answers == [("why_not", "Далеко идти, и нет скамеек у пруда")]
        works, total = await w.app.db.reader.contests.search("озеро лодка", status="pending")
        assert total == 1 and works[0].text == "Парк с большим озером и лодками"
        assert await w.app.db.reader.contests.search("озеро", status="approved") == ([], 0)
        assert (await w.app.db.reader.contests.search("", status="pending"))[1] == 2

        await make_staff(w.app, "sveta", "staff")
        async with StaffBrowser.of(w.app) as sveta:
            await sveta.login("sveta")
            stats = await sveta.get("/admin/stats")
            assert 'action="/admin/stats/texts"' in stats.text
            page = await sveta.get("/admin/stats/texts?q=скамейка")
            assert "нет скамеек у пруда" in page.text and "Нет времени" not in page.text
            assert "Почему вы не ходите в парк?" in page.text
            page = await sveta.get("/admin/stats/texts?q=озеро")
            assert "Парк с большим озером" in page.text and "Качели" not in page.text
            assert "Рисунок" in page.text and "10–13 лет" in page.text and "ждёт проверки" in page.text
            page = await sveta.get("/admin/stats/texts?q=лодки")
            assert "Парк с большим озером" in page.text


async def test_an_erased_residents_words_are_neither_found_nor_left_in_the_search_index(tmp_path):
    async with world(tmp_path) as w:
        await load_content_into(w.app, CONTENT / "survey.yaml")
        await load_content_into(w.app, CONTENT / "quizzes_contests.yaml")
        resident = w.resident()
        await onboard(resident)
        await propose(resident, "Посадить дендрарий у школы", photo=False, point=None)
        await answer_survey(w, resident, "Там нет дендрария")
        await send_work(resident, "Дендрарий моей мечты")
        reader = w.app.db.reader
        assert (await reader.moderation.search(ProposalFilter(search="дендрарий"), 10))[1] == 1
        assert (await reader.surveys.search("дендрарий"))[1] == 1
        assert (await reader.contests.search("дендрарий"))[1] == 1
        assert len(await in_index_tables(w, "драрий")) >= 3  # the lemma, in each of the three indexes

        await resident.send_text("/forget")
        assert "удалены" in all_text(await resident.press("priv:erase"))
        assert (await reader.moderation.search(ProposalFilter(search="дендрарий"), 10))[1] == 0
        assert await reader.surveys.search("дендрарий") == ([], 0)
        assert await reader.contests.search("дендрарий") == ([], 0)
        assert await in_index_tables(w, "драрий") == []


async def test_a_name_hidden_in_kept_texts_is_hidden_in_the_search_index_too(tmp_path):
    async with world(tmp_path) as w:
        await load_content_into(w.app, CONTENT / "survey.yaml")
        resident = w.resident()
        await onboard(resident)
        await propose(resident, "Меня зовут Иван Петров, нужна лавочка", photo=False, point=None)
        await answer_survey(w, resident, "Пишет Иван Петров: далеко")
        reader = w.app.db.reader
        assert (await reader.moderation.search(ProposalFilter(search="Петров"), 10))[1] == 1
        assert (await reader.surveys.search("Петров"))[1] == 1
        await resident.send_text("/forget")
        await resident.press("priv:confirm")  # kept without the author
        assert (await reader.moderation.search(ProposalFilter(search="лавочка"), 10))[1] == 1
        assert (await reader.moderation.search(ProposalFilter(search="Петров"), 10))[1] == 0
        assert (await reader.surveys.search("далеко"))[1] == 1
        assert await reader.surveys.search("Петров") == ([], 0)
        assert await in_index_tables(w, "етров") == []


async def test_upgrading_an_existing_database_indexes_its_texts_by_lemmas(tmp_path):
    path = tmp_path / "souchastie.db"
    old = database_at_version(path, 16)
    stamp = "2026-06-01T00:00:00+00:00"
    put(old, "proposals", channel="webchat", category="idea", text="Поставить скамейки у пруда",
        address="ул. Ленина, 3", created_at=stamp, updated_at=stamp)
    put(old, "proposals", channel="vk", category="idea", text="Фонтан в парке", created_at=stamp, updated_at=stamp)
    definition = {"title": {"ru": "Опрос"}, "questions": [
        {"key": "visits", "type": "single", "text": {"ru": "Часто?"}, "options": [{"key": "often"}]},
        {"key": "why", "type": "text", "text": {"ru": "Почему?"}}]}
    put(old, "surveys", key="s", definition=json.dumps(definition, ensure_ascii=False), opens_at=stamp,
        closes_at=stamp, updated_at=stamp)
    put(old, "survey_responses", survey_id=1, channel="vk",
        answers=json.dumps({"visits": "often", "why": "Нет скамеек"}, ensure_ascii=False), started_at=stamp)
    put(old, "contests", key="c", definition="{}", opens_at=stamp, closes_at=stamp, voting_opens_at=stamp,
        voting_closes_at=stamp, updated_at=stamp)
    put(old, "contest_entries", contest_id=1, channel="vk", category="drawing", age_group="any", text="Парк с озером",
        created_at=stamp)
    old.commit()
    old.close()

    db = await Database.open(path)
    try:
        rows, total = await db.reader.moderation.search(ProposalFilter(search="скамейка"), 10)
        assert total == 1 and rows[0].text == "Поставить скамейки у пруда"
        assert (await db.reader.moderation.search(ProposalFilter(search="Ленин"), 10))[1] == 1
        assert [r.text for r in (await db.reader.moderation.search(ProposalFilter(search="парк"), 10))[0]] == [
            "Фонтан в парке"]
        found, total = await db.reader.surveys.search("скамейка")
        assert total == 1 and found[0].text_answers == [("why", "Нет скамеек")]
        assert await db.reader.surveys.search("often") == ([], 0)  # a choice is no text answer
        assert [e.text for e in (await db.reader.contests.search("озеро"))[0]] == ["Парк с озером"]
    finally:
        await db.close()
