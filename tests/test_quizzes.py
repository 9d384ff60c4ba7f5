"""Quizzes as residents meet them: a whole quiz with its score and leaderboard, one attempt only,
resuming where one left off (also after a restart), stale and forged buttons, a closed quiz."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests import stored
from tests.drivers import load_content_into
from tests.drivers.webchat import world as webchat_world
from tests.journey import all_text, last_buttons, onboard

CONTENT = Path(__file__).parent / "fixtures" / "content" / "quizzes_contests.yaml"
STALE = "прошлого сообщения"


async def load(app, path: Path = CONTENT) -> None:
    await load_content_into(app, path)


@pytest.fixture
async def world(tmp_path):
    async with webchat_world(tmp_path) as running:
        await load(running.app)
        yield running


async def attempts(world, key: str) -> list[tuple[int, int, bool]]:
    """(score, answered, finished) of every attempt at the quiz ``key``."""
    return await stored.quiz_attempts(world.app.db, key)


async def start_park_quiz(resident) -> list:
    menu = await onboard(resident)
    assert "menu:quizzes" in last_buttons(menu)
    listing = await resident.press("menu:quizzes")
    assert {"quiz:park", "quiz:trees"} <= set(last_buttons(listing)) and "quiz:old" not in last_buttons(listing)
    return await resident.press("quiz:park")


async def test_a_whole_quiz_shows_each_verdict_the_score_and_the_leaderboard(world):
    resident = world.resident()
    first = await start_park_quiz(resident)
    assert "Вопрос 1 из 3" in all_text(first)
    assert {"qa:park:0:y1980", "qa:park:0:y1990"} <= set(last_buttons(first))
    right = await resident.press("qa:park:0:y1990")
    assert "Верно!" in all_text(right) and "открыли в 1990" in all_text(right)
    assert "Вопрос 2 из 3" in all_text(right) and "qa:park:1:b" in last_buttons(right)
    wrong = await resident.press("qa:park:1:a")
    assert "Неверно. Правильный ответ: 3 608" in all_text(wrong) and "3 608 из 7 838" in all_text(wrong)
    last = await resident.press("qa:park:2:poplar")
    assert "Верно: 2 из 3" in all_text(last)
    assert {"qlb:park:yes", "qlb:park:no"} <= set(last_buttons(last)) and "Участник №1" in all_text(last)
    board = await resident.press("qlb:park:yes")
    assert "Таблица лидеров" in all_text(board) and "1. Участник №1 — 2 из 3" in all_text(board)
    assert "menu:propose" in last_buttons(board)

    best, shy = world.resident(), world.resident()
    for player, answers in ((best, ("y1990", "b", "poplar")), (shy, ("y1980", "a", "birch"))):
        await start_park_quiz(player)
        for index, option in enumerate(answers):
            finished = await player.press(f"qa:park:{index}:{option}")
        assert f"Верно: {3 if player is best else 0} из 3" in all_text(finished)
    declined = await shy.press("qlb:park:no")
    assert "никто не увидит" in all_text(declined)
    podium = await best.press("qlb:park:yes")
    lines = all_text(podium)
    assert lines.index("1. Участник №2 — 3 из 3") < lines.index("2. Участник №1 — 2 из 3")
    assert "Участник №3" not in lines
    assert await attempts(world, "park") == [(2, 3, True), (3, 3, True), (0, 3, True)]


async def test_a_quiz_can_be_taken_once_and_old_answer_buttons_are_stale(world):
    resident = world.resident()
    await start_park_quiz(resident)
    for index, option in enumerate(("y1990", "b", "poplar")):
        await resident.press(f"qa:park:{index}:{option}")
    await resident.press("qlb:park:yes")
    await resident.press("menu:quizzes")
    again = await resident.press("quiz:park")
    assert "уже прошли" in all_text(again) and "верно 3 из 3" in all_text(again)
    assert "1. Участник №1 — 3 из 3" in all_text(again)
    assert not [p for p in last_buttons(again) if p.startswith("qa:")]
    replay = await resident.press("qa:park:0:y1980")
    assert STALE in all_text(replay)
    assert await attempts(world, "park") == [(3, 3, True)]


async def test_leaving_mid_quiz_and_coming_back_resumes_at_the_same_question(world):
    resident = world.resident()
    await start_park_quiz(resident)
    await resident.press("qa:park:0:y1990")
    await resident.press("nav:menu")
    await resident.press("menu:quizzes")
    resumed = await resident.press("quiz:park")
    assert "с вопроса 2 из 3" in all_text(resumed) and "Вопрос 2 из 3" in all_text(resumed)
    assert "qa:park:1:b" in last_buttons(resumed)
    assert await attempts(world, "park") == [(1, 1, False)]


async def test_a_quiz_continues_after_the_bot_restarts(tmp_path):
    async with webchat_world(tmp_path) as world:
        await load(world.app)
        resident = world.resident()
        await start_park_quiz(resident)
        await resident.press("qa:park:0:y1990")
        session = resident.session
    async with webchat_world(tmp_path) as world:
        resident = world.resident()
        resident.session = session
        second = await resident.press("qa:park:1:b")
        assert "Верно!" in all_text(second) and "Вопрос 3 из 3" in all_text(second)
        await resident.press("nav:menu")
        await resident.press("menu:quizzes")
        resumed = await resident.press("quiz:park")
        assert "Вопрос 3 из 3" in all_text(resumed)
        done = await resident.press("qa:park:2:poplar")
        assert "Верно: 3 из 3" in all_text(done)


async def test_stale_and_forged_answers_change_nothing(world):
    resident = world.resident()
    await start_park_quiz(resident)
    await resident.press("qa:park:0:y1990")
    earlier_question = await resident.press("qa:park:0:y1980")
    assert STALE in all_text(earlier_question) and "Вопрос 2 из 3" in all_text(earlier_question)
    other_quiz = await resident.press("qa:trees:1:a")
    assert STALE in all_text(other_quiz)
    beyond = await resident.press("qa:park:7:a")
    assert STALE in all_text(beyond)
    forged = await resident.press("qa:park:1:casino")
    assert "Такого варианта ответа нет" in all_text(forged) and "qa:park:1:b" in last_buttons(forged)
    junk = await resident.press("qa:park:1")
    assert "Такого варианта ответа нет" in all_text(junk)
    assert await attempts(world, "park") == [(1, 1, False)]
    assert await attempts(world, "trees") == []


async def test_a_closed_quiz_says_so_and_starts_no_attempt(world):
    resident = world.resident()
    await onboard(resident)
    closed = await resident.press("quiz:old")
    assert "«Прошлогодняя викторина» закрыта" in all_text(closed)
    assert "menu:propose" in last_buttons(closed)
    assert await attempts(world, "old") == []


async def test_pressing_one_answer_many_times_at_once_counts_it_once(world):
    resident = world.resident()
    await start_park_quiz(resident)
    answers = await asyncio.gather(*(resident.press("qa:park:0:y1990") for _ in range(8)))
    assert sum("Верно!" in all_text(a) for a in answers) == 1
    assert sum(STALE in all_text(a) for a in answers) == 7
    assert await attempts(world, "park") == [(1, 1, False)]


async def test_a_resident_who_asks_to_be_forgotten_leaves_the_leaderboard(world):
    forgotten, stays = world.resident(), world.resident()
    for player, answers in ((forgotten, ("y1990", "b", "poplar")), (stays, ("y1990", "a", "poplar"))):
        await start_park_quiz(player)
        for index, option in enumerate(answers):
            await player.press(f"qa:park:{index}:{option}")
        board = await player.press("qlb:park:yes")
    assert "1. Участник №1 — 3 из 3" in all_text(board)
    await forgotten.send_text("/forget")
    await forgotten.press("priv:confirm")
    await stays.press("menu:quizzes")
    again = all_text(await stays.press("quiz:park"))
    assert "1. Участник №2 — 2 из 3" in again and "Участник №1" not in again
    assert await stored.values(world.app.db, "quiz_attempts", "leaderboard_name", resident_id=None) == [""]
