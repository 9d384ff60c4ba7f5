"""A correction the moderators asked for is not swallowed by another flow (issue 11, point 5).

An author asked by the panel to correct a proposal who is, at that moment, writing a new
proposal (or answering a survey, or sending a contest work) and types their answer is asked
which it is; the text goes where they say, a cancel leaves everything as it was, the question
stays answerable through its own button, and an old menu of that choice changes nothing.
Everything runs with the shipped campaign loaded, on the web chat and on Telegram.
"""
from __future__ import annotations

import json
from contextlib import asynccontextmanager
from typing import AsyncIterator

import pytest

from tests import stored
from tests.drivers import CAMPAIGN, BotMessage, eventually, load_content_into, load_world
from tests.drivers.panel import StaffBrowser, make_staff
from tests.journey import all_text, last_buttons, onboard, propose

FIRST = "Поставить скамейки у пруда и фонарь"
QUESTION = "Какой именно пруд — верхний или нижний?"
ANSWER = "Скамейки у нижнего пруда, у лодочной станции, и фонарь там же"
NEW_IDEA = "Сделать каток зимой на стадионе"
STALE = "из прошлого сообщения"


@asynccontextmanager
async def campaign_world(tmp_path, channel: str = "webchat") -> AsyncIterator:
    async with load_world(channel)(tmp_path) as w:
        await load_content_into(w.app, CAMPAIGN)
        await make_staff(w.app, "mila", "moderator")
        yield w


async def proposed(author, text: str = FIRST) -> int:
    return int((await propose(author, text, photo=False, point=None)).split("-")[1])


async def ask_about(w, author, number: int, question: str = QUESTION) -> list[BotMessage]:
    """A moderator asks the author, through the panel, to correct proposal ``number``."""
    async with StaffBrowser.of(w.app) as mila:
        await mila.login("mila")
        await mila.post(f"/admin/proposals/{number}/question", {"question": question})
    notice = await eventually(author.later)
    assert question in all_text(notice) and f"fix:{number}" in last_buttons(notice)
    return notice


def choices(messages: list[BotMessage]) -> dict[str, str]:
    """The "which is this text?" buttons, by what they choose: a proposal's number or "flow"."""
    return {p.rsplit(":", 1)[1]: p for p in last_buttons(messages) if p.startswith("which:")}


def labels(messages: list[BotMessage]) -> list[str]:
    return [b["label"] for m in messages for row in m.buttons for b in row if b.get("payload", "").startswith("which:")]


async def card(w, number: int):
    return await w.app.db.reader.moderation.card(number)


async def state_of(w, number: int) -> str:
    """The conversation step of the author of proposal ``number``."""
    return (await w.app.db.reader.moderation.author(number))[4]


async def at_new_proposal_text(author) -> None:
    asked = await author.press("menu:propose")
    assert "Опишите вашу идею" in all_text(asked)


async def asked_while_proposing(w):
    """An author with one proposal, asked about it while writing the text of a new one."""
    author = w.resident(1)
    await onboard(author)
    number = await proposed(author)
    await at_new_proposal_text(author)
    await ask_about(w, author, number)
    return author, number


async def finish_proposal(w, author, text: str) -> int:
    """From the draft with ``text`` to its receipt; returns its number."""
    done = await author.press("prop:confirm")
    receipt = next(word.rstrip(".") for word in all_text(done).split() if word.startswith("П-"))
    number = int(receipt.split("-")[1])
    assert (await card(w, number)).text == text
    return number


# -- the two answers, on the web chat and a messenger --------------------------------------------

@pytest.mark.parametrize("channel", ["webchat", "telegram"])
async def test_an_answer_typed_while_proposing_corrects_the_proposal_when_the_author_says_so(tmp_path, channel):
    async with campaign_world(tmp_path, channel) as w:
        author, number = await asked_while_proposing(w)

        asked = await author.send_text(ANSWER)
        assert set(choices(asked)) == {str(number), "flow"}, all_text(asked)
        assert f"Исправление П-{number}" in labels(asked) and "Новая идея" in labels(asked)
        assert ANSWER in all_text(asked) and "nav:cancel" in last_buttons(asked)
        assert (await card(w, number)).text == FIRST  # nothing applied before the author chose

        corrected = await author.press(choices(asked)[str(number)])
        assert f"П-{number} получен" in all_text(corrected)
        assert "Опишите вашу идею" in all_text(corrected)  # back where they were
        assert (await card(w, number)).text == ANSWER and (await card(w, number)).open_question is None
        assert await state_of(w, number) == "proposal:text"

        photos = await author.send_text(NEW_IDEA)  # the draft goes on
        assert "prop:confirm" in last_buttons(photos) and not choices(photos)
        await finish_proposal(w, author, NEW_IDEA)


@pytest.mark.parametrize("channel", ["webchat", "telegram"])
async def test_an_answer_typed_while_proposing_becomes_the_new_idea_and_the_question_waits_for_its_button(
        tmp_path, channel):
    async with campaign_world(tmp_path, channel) as w:
        author, number = await asked_while_proposing(w)

        asked = await author.send_text(NEW_IDEA)
        photos = await author.press(choices(asked)["flow"])
        assert "prop:confirm" in last_buttons(photos), all_text(photos)  # as if typed at the text step
        new = await finish_proposal(w, author, NEW_IDEA)
        assert new != number
        assert (await card(w, number)).text == FIRST and (await card(w, number)).open_question == QUESTION

        prompt = await author.press(f"fix:{number}")  # the notice's own button, later
        assert "исправленный текст" in all_text(prompt)
        done = await author.send_text(ANSWER)
        assert "получен" in all_text(done)
        assert (await card(w, number)).text == ANSWER and (await card(w, new)).text == NEW_IDEA


# -- not asking when there is nothing to ask -------------------------------------------------------

@pytest.mark.parametrize("channel", ["webchat", "telegram"])
async def test_an_author_without_an_open_question_is_not_asked(tmp_path, channel):
    async with campaign_world(tmp_path, channel) as w:
        author = w.resident(1)
        await onboard(author)
        number = await proposed(author)
        await at_new_proposal_text(author)
        photos = await author.send_text(NEW_IDEA)  # never asked anything
        assert "prop:confirm" in last_buttons(photos) and not choices(photos)
        await finish_proposal(w, author, NEW_IDEA)

        await ask_about(w, author, number)  # idle: the next text is the correction, as before
        assert "получен" in all_text(await author.send_text(ANSWER))
        await at_new_proposal_text(author)
        photos = await author.send_text("Посадить липы вдоль аллеи")  # answered: nothing open any more
        assert "prop:confirm" in last_buttons(photos) and not choices(photos)


async def test_only_a_text_that_either_could_take_is_asked_about(tmp_path):
    async with campaign_world(tmp_path) as w:
        author, number = await asked_while_proposing(w)

        short = await author.send_text("Каток")  # too short for a correction, and for an idea
        assert "Слишком коротко" in all_text(short) and not choices(short)
        asked = await author.send_text(NEW_IDEA)
        draft = await author.press(choices(asked)["flow"])
        assert "prop:confirm" in last_buttons(draft), all_text(draft)
        review = await author.send_text("50.0958, 118.0317")  # a point typed as numbers: no answer to a question
        assert "prop:confirm" in last_buttons(review) and not choices(review)
        assert (await card(w, number)).open_question == QUESTION


# -- cancelling, several questions, old buttons ----------------------------------------------------

async def test_a_cancel_leaves_the_author_where_they_were_with_nothing_changed(tmp_path):
    async with campaign_world(tmp_path) as w:
        author, number = await asked_while_proposing(w)

        asked = await author.send_text(ANSWER)
        cancelled = await author.press("nav:cancel")
        assert "никуда не записано" in all_text(cancelled) and "Опишите вашу идею" in all_text(cancelled)
        assert await state_of(w, number) == "proposal:text"
        assert (await card(w, number)).text == FIRST and (await card(w, number)).open_question == QUESTION
        stale = await author.press(choices(asked)["flow"])  # the cancelled choice's button
        assert STALE in all_text(stale) and await state_of(w, number) == "proposal:text"

        again = await author.send_text(NEW_IDEA)  # the draft is as it was: the next text is asked about again
        await author.press(choices(again)["flow"])
        await finish_proposal(w, author, NEW_IDEA)


async def test_with_several_open_questions_the_buttons_name_each_proposal(tmp_path):
    async with campaign_world(tmp_path) as w:
        author = w.resident(1)
        await onboard(author)
        older = await proposed(author)
        newer = await proposed(author, "Вернуть в парк карусель «Ромашка»")
        await at_new_proposal_text(author)
        await ask_about(w, author, older)
        await ask_about(w, author, newer, "Где именно поставить карусель?")

        asked = await author.send_text(ANSWER)
        assert set(choices(asked)) == {str(older), str(newer), "flow"}
        assert {f"Исправление П-{older}", f"Исправление П-{newer}"} <= set(labels(asked))
        await author.press(choices(asked)[str(older)])
        assert (await card(w, older)).text == ANSWER
        assert (await card(w, newer)).open_question == "Где именно поставить карусель?"

        asked = await author.send_text("Карусель поставить у главного входа")
        assert set(choices(asked)) == {str(newer), "flow"}
        await author.press(choices(asked)[str(newer)])
        assert (await card(w, newer)).text == "Карусель поставить у главного входа"
        photos = await author.send_text(NEW_IDEA)  # nothing open any more
        assert "prop:confirm" in last_buttons(photos) and not choices(photos)


async def test_a_button_of_an_earlier_choice_changes_nothing(tmp_path):
    async with campaign_world(tmp_path) as w:
        author, number = await asked_while_proposing(w)

        first = await author.send_text(NEW_IDEA)
        await author.press(choices(first)["flow"])
        second = await author.send_text("У нижнего пруда, у лодочной станции")  # an address, or the answer?
        assert set(choices(second)) == {str(number), "flow"} and choices(second) != choices(first)

        stale = await author.press(choices(first)[str(number)])  # the old menu's "correction"
        assert STALE in all_text(stale) and set(choices(stale)) == set(choices(second))
        assert (await card(w, number)).text == FIRST and await state_of(w, number) == "correction:which"

        review = await author.press(choices(second)["flow"])
        assert "У нижнего пруда, у лодочной станции" in all_text(review) and "prop:confirm" in last_buttons(review)
        stale = await author.press(choices(second)[str(number)])  # this choice is made: its buttons are old too
        assert STALE in all_text(stale) and "prop:confirm" in last_buttons(stale)
        assert (await card(w, number)).text == FIRST and await state_of(w, number) == "proposal:draft"


# -- the other flows that take free text -------------------------------------------------------------

async def survey_answers(w) -> dict:
    answers = await stored.values(w.app.db, "survey_responses", "answers")
    return json.loads(answers[0]) if answers else {}


async def test_a_survey_free_text_answer_is_asked_about_and_goes_where_the_author_says(tmp_path):
    async with campaign_world(tmp_path) as w:
        author = w.resident(1)
        await onboard(author)
        number = await proposed(author)
        await author.press("menu:surveys")
        await author.press("survey:opinion")
        why = await author.press("sa:opinion:1:0:never")
        assert "Почему вы не ходите" in all_text(why)
        await ask_about(w, author, number)

        asked = await author.send_text(ANSWER)
        assert set(choices(asked)) == {str(number), "flow"} and "Ответ на опрос" in labels(asked)
        corrected = await author.press(choices(asked)[str(number)])
        assert "получен" in all_text(corrected) and "Почему вы не ходите" in all_text(corrected)
        assert (await card(w, number)).text == ANSWER and "why_not" not in await survey_answers(w)

        age = await author.send_text("Далеко идти, и нет освещения вечером")  # nothing open: the survey's answer
        assert "Сколько вам лет" in all_text(age) and not choices(age)
        assert (await survey_answers(w))["why_not"] == "Далеко идти, и нет освещения вечером"

        await ask_about(w, author, number, "А где именно нужен фонарь?")
        refused = await author.send_text("Фонарь нужен у лодочной станции")  # a number is asked: not taken
        assert not choices(refused) and "Сколько вам лет" in all_text(refused)
        assert (await card(w, number)).open_question == "А где именно нужен фонарь?"


async def test_a_contest_works_text_is_asked_about_and_can_be_the_work(tmp_path):
    async with campaign_world(tmp_path) as w:
        author = w.resident(1)
        await onboard(author)
        number = await proposed(author)
        for payload in ("menu:contests", "contest:drawings", "cpage:drawings:enter", "ccat:drawings:essay",
                        "cage:drawings:age_10_13"):
            await author.press(payload)
        text_step = await author.press("cskip:drawings:photo")
        assert "без фото нужен текст" in all_text(text_step)
        await ask_about(w, author, number)

        essay = "Парк моей мечты: озеро, карусель и летняя сцена"
        asked = await author.send_text(essay)
        assert set(choices(asked)) == {str(number), "flow"} and "Работа на конкурс" in labels(asked)
        sent = await author.press(choices(asked)["flow"])
        assert "отправлена на проверку" in all_text(sent), all_text(sent)
        assert await stored.values(w.app.db, "contest_entries", "text") == [essay]
        assert (await card(w, number)).text == FIRST and (await card(w, number)).open_question == QUESTION


async def test_an_idle_author_put_into_the_correction_wait_can_still_use_the_main_menu(tmp_path):
    async with campaign_world(tmp_path) as w:
        author = w.resident(1)
        await onboard(author)
        number = await proposed(author)  # back at the main menu: idle
        await ask_about(w, author, number)
        assert await state_of(w, number) == "correction:text"

        asked = await author.press("menu:propose")  # from the receipt's buttons, shown before the question
        assert STALE not in all_text(asked) and "Опишите вашу идею" in all_text(asked), all_text(asked)
        assert (await card(w, number)).open_question == QUESTION  # still waits for its button
        fixing = await author.press(f"fix:{number}")
        assert "nav:cancel" in last_buttons(fixing)
        await author.send_text(ANSWER)
        assert (await card(w, number)).text == ANSWER
