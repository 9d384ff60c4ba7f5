"""Everything a resident can do works on every channel (issue 7, item 6): a survey walked to its
end, and a staff member's answer from the panel reaching the author in their own messenger.

Each test runs once per channel in ``JOURNEY_CHANNELS``, with the same handler code, through
the channel's real client and a fake platform (see ``tests/drivers``)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.content import load_content, storable
from tests import stored
from tests.drivers import JOURNEY_CHANNELS, BotMessage, eventually, load_world
from tests.drivers.panel import StaffBrowser, make_staff
from tests.journey import all_text, last_buttons, onboard, propose

pytestmark = pytest.mark.both_engines  # a journey: on SQLite and on PostgreSQL (tests/conftest.py)

SURVEY = Path(__file__).parent / "fixtures" / "content" / "survey.yaml"


@pytest.fixture(params=JOURNEY_CHANNELS)
async def world(request, tmp_path):
    async with load_world(request.param)(tmp_path) as running:
        yield running


async def heard(resident, phrase: str, timeout: float = 15) -> list[BotMessage]:
    """What the bot sent the resident on its own, until a message with ``phrase`` arrives."""
    received: list[BotMessage] = []

    async def arrived() -> bool:
        try:
            received.extend(await resident.later(1))
        except AssertionError:  # a messenger driver found nothing new within the second
            pass
        return phrase in all_text(received)

    await eventually(arrived, timeout)
    return received


async def test_a_resident_walks_a_survey_to_the_end_and_the_answers_are_stored(world):
    async with world.app.db.transaction() as tx:
        await tx.content.store(storable(load_content(SURVEY)))
    resident = world.resident(3)
    await onboard(resident)
    listing = await resident.press("menu:surveys")
    assert "survey:opinion" in last_buttons(listing), all_text(listing)
    first = await resident.press("survey:opinion")
    assert "Вопрос 1 из 7" in all_text(first) and "sa:opinion:1:0:never" in last_buttons(first)
    why = await resident.press("sa:opinion:1:0:never")
    assert "Вопрос 2 из 7" in all_text(why) and "Почему" in all_text(why)
    age = await resident.send_text("Далеко от дома и нет освещения")
    assert "Вопрос 5 из 7" in all_text(age)
    photo = await resident.send_text("71")
    assert "sa:opinion:1:5:_skip" in last_buttons(photo), all_text(photo)
    spot = await resident.press("sa:opinion:1:5:_skip")
    assert "sa:opinion:1:6:_skip" in last_buttons(spot), all_text(spot)
    done = await resident.press("sa:opinion:1:6:_skip")
    assert "сохранены" in all_text(done)

    rows = await stored.rows(world.app.db, "survey_responses", "answers", "completed_at")
    assert [(json.loads(answers), completed is not None) for answers, completed in rows] == [
        ({"visits": "never", "why_not": "Далеко от дома и нет освещения", "age": 71}, True)]


async def test_a_staff_answer_from_the_panel_reaches_the_author_in_their_channel(world):
    author = world.resident(4)
    await onboard(author)
    receipt = await propose(author, "Сделать пандус у входа в библиотеку", photo=False, point=None)
    number = int(receipt.split("-")[1])
    await make_staff(world.app, "mila", "moderator")
    async with StaffBrowser.of(world.app) as mila:
        await mila.login("mila")
        page = await mila.get(f"/admin/proposals/{number}")
        assert page.status == 200 and "Сделать пандус" in page.text
        sent = await mila.post(f"/admin/proposals/{number}/answer",
                               {"text": "Спасибо! Пандус включён в план ремонта."})
        assert sent.status == 200 and "Отправлено автору" in sent.text
    answer = await heard(author, "Пандус включён в план ремонта")
    assert receipt in all_text(answer)
