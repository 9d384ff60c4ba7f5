"""Surveys as respondents meet them: every path of the skip logic, every question type,
progress, stopping and resuming (also across a restart), and one response per resident."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.content import load_content, storable
from tests import stored
from tests.drivers.webchat import world as webchat_world
from tests.journey import JPEG, all_text, last_buttons, onboard

CONTENT = Path(__file__).parent / "fixtures" / "content" / "survey.yaml"


async def start(world):
    async with world.app.db.transaction() as tx:
        await tx.content.store(storable(load_content(CONTENT)))
    resident = world.resident()
    await onboard(resident)
    await resident.press("menu:surveys")
    first = await resident.press("survey:opinion")
    return resident, first


async def answers(world) -> list[dict]:
    rows = await stored.rows(world.app.db, "survey_responses", "answers", "completed_at", order_by="id")
    return [json.loads(answers) | {"_done": completed is not None} for answers, completed in rows]


@pytest.fixture
async def world(tmp_path):
    async with webchat_world(tmp_path) as running:
        yield running


async def test_a_regular_visitor_walks_the_long_path_with_every_question_type(world):
    resident, first = await start(world)
    assert "Вопрос 1 из 7" in all_text(first) and "sa:opinion:1:0:weekly" in last_buttons(first)
    rating = await resident.press("sa:opinion:1:0:weekly")
    assert "Вопрос 3 из 7" in all_text(rating)  # skip logic passes over "why not"
    wishes = await resident.press("sa:opinion:1:2:4")
    await resident.press("sa:opinion:1:3:shade")
    await resident.press("sa:opinion:1:3:benches")
    untoggled = await resident.press("sa:opinion:1:3:shade")
    assert "⬜ Тени" in [b["label"] for m in untoggled for row in m.buttons for b in row]
    age = await resident.press("sa:opinion:1:3:_done")
    assert "Вопрос 5 из 7" in all_text(age) and "sa:opinion:1:3:_done" in last_buttons(wishes)
    bad = await resident.send_text("двадцать")
    assert "число от 5 до 110" in all_text(bad)
    photo = await resident.send_text("34")
    assert "Пришлите фото" in all_text(photo)
    spot = await resident.send_photo(JPEG)
    assert "Вопрос 7 из 7" in all_text(spot)
    done = await resident.send_location(50.09, 118.03)
    assert "сохранены" in all_text(done)
    [saved] = await answers(world)
    assert saved["visits"] == "weekly" and saved["rating"] == 4 and saved["wishes"] == ["benches"]
    assert saved["age"] == 34 and saved["photo"].endswith(".jpg")
    assert saved["spot"] == {"latitude": 50.09, "longitude": 118.03} and saved["_done"]
    assert "why_not" not in saved


async def test_someone_who_never_visits_is_asked_why_and_skips_the_rating(world):
    resident, _ = await start(world)
    why = await resident.press("sa:opinion:1:0:never")
    assert "Вопрос 2 из 7" in all_text(why) and "Почему" in all_text(why)
    age = await resident.send_text("Далеко от дома и нет освещения")
    assert "Вопрос 5 из 7" in all_text(age)
    photo = await resident.send_text("71")
    await resident.press("sa:opinion:1:5:_skip")
    done = await resident.press("sa:opinion:1:6:_skip")
    assert "sa:opinion:1:5:_skip" in last_buttons(photo) and "сохранены" in all_text(done)
    [saved] = await answers(world)
    assert saved == {"visits": "never", "why_not": "Далеко от дома и нет освещения", "age": 71, "_done": True}


async def test_sometimes_leads_to_the_rating_too_and_a_required_question_cannot_be_skipped(world):
    resident, _ = await start(world)
    rating = await resident.press("sa:opinion:1:0:sometimes")
    assert "sa:opinion:1:2:_skip" not in last_buttons(rating)
    forged_skip = await resident.press("sa:opinion:1:2:_skip")
    assert "Такого ответа нет" in all_text(forged_skip)
    out_of_scale = await resident.press("sa:opinion:1:2:9")
    assert "Такого ответа нет" in all_text(out_of_scale)
    old_button = await resident.press("sa:opinion:1:0:weekly")
    assert "прошлого сообщения" in all_text(old_button)
    [saved] = await answers(world)
    assert saved == {"visits": "sometimes", "_done": False}


async def test_a_respondent_stops_and_resumes_after_a_restart_and_answers_only_once(tmp_path):
    async with webchat_world(tmp_path) as world:
        resident, _ = await start(world)
        await resident.press("sa:opinion:1:0:weekly")
        paused = await resident.press("nav:menu")
        assert "menu:surveys" in last_buttons(paused)
        session = resident.session
    async with webchat_world(tmp_path) as world:
        resident = world.resident()
        resident.session = session
        await resident.press("menu:surveys")
        resumed = await resident.press("survey:opinion")
        assert "Продолжаем" in all_text(resumed) and "Вопрос 3 из 7" in all_text(resumed)
        await resident.press("sa:opinion:1:2:5")
        await resident.press("sa:opinion:1:3:_skip")
        await resident.send_text("40")
        await resident.press("sa:opinion:1:5:_skip")
        await resident.press("sa:opinion:1:6:_skip")
        await resident.press("menu:surveys")
        again = await resident.press("survey:opinion")
        assert "уже ответили" in all_text(again)
        assert await stored.count(world.app.db, "survey_responses") == 1
