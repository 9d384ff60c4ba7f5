"""Every journey a resident makes, on every channel, with the shipped campaign loaded (issue 11).

A town runs with content, and content is what fills menus and keyboards: the campaign's main
menu has 11 buttons, more than VK's inline keyboard or a WhatsApp list holds. These journeys
run with ``content/campaign.yaml`` loaded and press only what the resident is shown
(``tests.screen.Screen.tap``: a button on screen, one behind «Ещё…», or a numbered line's
number typed), so a menu or keyboard limit that leaves a resident stuck fails here, on the
channel where it does. What each journey leaves is read back through the repositories.
"""
from __future__ import annotations

import re

import pytest

from storage.moderation import ProposalFilter
from tests.drivers import CAMPAIGN, JOURNEY_CHANNELS, World, eventually, load_content_into, load_world, vk as vk_driver
from tests.fakes.sms import FakeSmsGateway
from tests.journey import JPEG, all_text, same_picture
from tests.screen import Screen
from tests.stored import rows_of

pytestmark = pytest.mark.both_engines  # a journey: on SQLite and on PostgreSQL (tests/conftest.py)

IDEA = "Поставить скамейки у пруда и фонарь"
POND = (50.0958, 118.0317)
# Phone verification where the messenger shares a number it has verified: its own button.
SHARES_A_VERIFIED_CONTACT = ["telegram", "max", "gateway"]
NO_KEYBOARD = {"button_actions": [], "keyboard": False, "inline_keyboard": False, "carousel": False, "lang_id": 0}


@pytest.fixture(params=JOURNEY_CHANNELS)
async def world(request, tmp_path):
    async with load_world(request.param)(tmp_path) as running:
        await load_content_into(running.app, CAMPAIGN)
        yield running


async def onboarded(world: World, number: int = 1, source: str = "", **resident) -> Screen:
    """From /start through consent (and the language, where the platform reports none) to the
    main menu, by what is shown."""
    screen = Screen(world, world.resident(number, **resident))
    greeting = await screen.say(f"/start {source}".strip())
    assert "152-ФЗ" in all_text(greeting), all_text(greeting)
    menu = await screen.tap("consent:yes")
    if screen.showing("lang:ru"):
        menu = await screen.tap("lang:ru")
    assert "Главное меню" in all_text(menu), all_text(menu)
    return screen


async def content_id(world: World, table: str, key: str) -> int:
    found = await world.app.db.reader.content.get(table, key)
    assert found is not None, f"{table}:{key} is not loaded"
    return found[0]


async def proposals(world: World) -> list[dict]:
    return [row async for page in world.app.db.reader.exports.proposals(ProposalFilter(), personal=True)
            for row in page]


def stored_file(world: World, key: str) -> bytes:
    return world.app.dispatcher.attachments.path_of(key).read_bytes()


# -- a proposal ----------------------------------------------------------------------------------

async def propose(screen: Screen, place: tuple[float, float] | str) -> str:
    """From the main menu to a receipt, with a photo and a place added on the draft; returns the
    receipt number."""
    asked = await screen.tap("menu:propose")
    assert "Опишите вашу идею" in all_text(asked), all_text(asked)
    draft = await screen.say(IDEA)
    assert IDEA in all_text(draft) and "фото" in all_text(draft).lower(), all_text(draft)
    added = await screen.send_photo(JPEG)
    assert "1 из" in all_text(added), all_text(added)
    review = await (screen.send_location(*place) if isinstance(place, tuple) else screen.say(place))
    assert IDEA in all_text(review), all_text(review)
    done = await screen.tap("prop:confirm")
    found = re.search(r"П-\d+", all_text(done))
    assert found, all_text(done)
    return found.group(0)


async def test_a_resident_proposes_an_idea_with_a_photo_and_a_place(world):
    screen = await onboarded(world, source="poster_12")
    receipt = await propose(screen, POND)
    listing = await screen.tap("menu:mine")
    assert receipt in all_text(listing) and "получено" in all_text(listing), all_text(listing)

    resident = await screen.stored()
    [proposal] = await proposals(world)
    assert {k: proposal[k] for k in ("resident_id", "category", "text", "source", "latitude", "longitude", "photos")} \
        == {"resident_id": resident.id, "category": "idea", "text": IDEA, "source": "poster_12",
            "latitude": POND[0], "longitude": POND[1], "photos": 1}
    assert receipt == f"П-{proposal['id']}"
    [(file_key, _)] = await world.app.db.reader.proposals.attachments(proposal["id"])
    assert same_picture(stored_file(world, file_key), JPEG)


# -- votes ---------------------------------------------------------------------------------------

async def test_a_resident_votes_in_an_open_poll(world):
    screen = await onboarded(world)
    listing = await screen.tap("menu:polls")
    assert "Идут голосования" in all_text(listing), all_text(listing)
    await screen.tap("poll:zones")
    await screen.tap("vote:zones:playground")
    await screen.tap("vote:zones:lights")
    done = await screen.tap("vote:zones:_done")
    assert "голос учтён" in all_text(done) and "Освещение — 1 (100%)" in all_text(done), all_text(done)

    resident = await screen.stored()
    poll = await content_id(world, "polls", "zones")
    ballot = await world.app.db.reader.polls.ballot(poll, f"resident:{resident.id}")
    assert ballot == [("lights", 1), ("playground", 1)]


@pytest.mark.parametrize("channel", JOURNEY_CHANNELS)
async def test_a_resident_votes_in_a_phone_verified_poll(tmp_path, channel):
    """Telegram, MAX and the gateway share a verified contact; WhatsApp's sender id is the number;
    elsewhere a code comes by SMS (a fake gateway on loopback): one person, one vote everywhere."""
    sms = await FakeSmsGateway().start()
    try:
        async with load_world(channel)(tmp_path, **sms.environment()) as world:
            await load_content_into(world.app, CAMPAIGN)
            screen = await onboarded(world)
            await screen.tap("menu:polls")
            asked = await screen.tap("poll:territory")
            if channel in SHARES_A_VERIFIED_CONTACT:
                assert "подтверждённому номеру" in all_text(asked), all_text(asked)
                ballot = await screen.share_contact("8 (914) 000-12-34")
                phone = "+79140001234"
            elif channel == "whatsapp":
                ballot, phone = asked, f"+{screen.resident.wa_id}"
            else:
                assert "SMS" in all_text(asked), all_text(asked)
                code_step = await screen.say("8 (914) 000-12-34")
                assert "sms:territory:resend" in [p for m in code_step for p in m.payloads], all_text(code_step)
                code = (await eventually(lambda: sms.to("+79140001234")))[-1].code
                ballot = await screen.say(code)
                phone = "+79140001234"
            assert "Выберите один вариант" in all_text(ballot), all_text(ballot)
            done = await screen.tap("vote:territory:park")
            assert "голос учтён" in all_text(done), all_text(done)

            resident = await screen.stored()
            assert (resident.phone, resident.phone_verified) == (phone, True)
            poll = await content_id(world, "polls", "territory")
            assert await world.app.db.reader.polls.ballot(poll, f"phone:{phone}") == [("park", 1)]
            assert await world.app.db.reader.polls.ballot(poll, f"resident:{resident.id}") is None
            assert len(sms.sent) == (1 if channel in ("webchat", "vk", "ok") else 0)
    finally:
        await sms.close()


# -- a survey and a quiz -------------------------------------------------------------------------

async def test_a_resident_answers_the_survey_to_its_end(world):
    screen = await onboarded(world)
    await screen.tap("menu:surveys")
    first = await screen.tap("survey:opinion")
    assert "Вопрос 1 из 7" in all_text(first), all_text(first)
    rating = await screen.tap("sa:opinion:1:0:weekly")
    assert "Вопрос 3 из 7" in all_text(rating), all_text(rating)
    await screen.tap("sa:opinion:1:2:4")
    await screen.tap("sa:opinion:1:3:benches")
    age = await screen.tap("sa:opinion:1:3:_done")
    assert "Вопрос 5 из 7" in all_text(age), all_text(age)
    photo = await screen.say("34")
    assert "Вопрос 6 из 7" in all_text(photo), all_text(photo)
    spot = await screen.send_photo(JPEG)
    assert "Вопрос 7 из 7" in all_text(spot), all_text(spot)
    done = await screen.send_location(*POND)
    assert "сохранены" in all_text(done), all_text(done)

    resident = await screen.stored()
    survey = await content_id(world, "surveys", "opinion")
    [response] = [row async for page in world.app.db.reader.exports.survey_responses(survey, personal=True)
                  for row in page]
    assert response["resident_id"] == resident.id and response["completed_at"]
    answers = response["answers"]
    assert same_picture(stored_file(world, answers.pop("photo")), JPEG)
    assert answers == {"visits": "weekly", "rating": 4, "wishes": ["benches"], "age": 34,
                       "spot": {"latitude": POND[0], "longitude": POND[1]}}


async def test_a_resident_plays_the_quiz_to_its_end_and_joins_the_leaderboard(world):
    screen = await onboarded(world)
    await screen.tap("menu:quizzes")
    first = await screen.tap("quiz:park_history")
    assert "Вопрос 1 из 2" in all_text(first), all_text(first)
    second = await screen.tap("qa:park_history:0:y1990")
    assert "Верно" in all_text(second) and "Вопрос 2 из 2" in all_text(second), all_text(second)
    scored = await screen.tap("qa:park_history:1:c")
    assert "Неверно" in all_text(scored) and "Верно: 1 из 2" in all_text(scored), all_text(scored)
    board = await screen.tap("qlb:park_history:yes")
    assert "Таблица лидеров" in all_text(board), all_text(board)

    resident = await screen.stored()
    attempt = await world.app.db.reader.quizzes.attempt(await content_id(world, "quizzes", "park_history"),
                                                        resident.id)
    assert (attempt.score, attempt.answered, attempt.finished, attempt.on_leaderboard) == (1, 2, True, True)


# -- a contest entry and a subscription ----------------------------------------------------------

async def test_a_resident_sends_a_drawing_to_the_contest(world):
    screen = await onboarded(world)
    await screen.tap("menu:contests")
    await screen.tap("contest:drawings")
    await screen.tap("cpage:drawings:enter")
    await screen.tap("ccat:drawings:drawing")
    await screen.tap("cage:drawings:age_6_9")
    asked_text = await screen.send_photo(JPEG)
    assert "Фото добавлено" in all_text(asked_text) and "Без текста" in all_text(asked_text), all_text(asked_text)
    sent = await screen.tap("cskip:drawings:text")
    number = re.search(r"Работа №(\d+)", all_text(sent))
    assert number, all_text(sent)

    resident = await screen.stored()
    entry = await world.app.db.reader.contests.entry(int(number.group(1)))
    assert (entry.category, entry.age_group, entry.text, entry.status) == ("drawing", "age_6_9", "", "pending")
    assert same_picture(stored_file(world, entry.file_key), JPEG)
    assert (await rows_of(world.app.db, resident.id)).get("contest_entries") == 1  # the work is theirs


async def test_a_resident_subscribes_to_the_cartoon(world):
    screen = await onboarded(world)
    topics = await screen.tap("menu:subscriptions")
    assert "Нажмите на тему" in all_text(topics), all_text(topics)
    subscribed = await screen.tap("sub:episodes")
    assert "Вы подписаны: Мультсериал «ПАРКУ БЫТЬ!»" in all_text(subscribed), all_text(subscribed)

    resident = await screen.stored()
    assert await world.app.db.reader.subscriptions.topics_of(resident.id) == {"episodes"}


# -- a VK client that shows no keyboard ----------------------------------------------------------

async def test_a_vk_resident_without_keyboards_proposes_and_votes_by_typing_numbers(tmp_path):
    async with vk_driver.world(tmp_path) as world:
        await load_content_into(world.app, CAMPAIGN)
        screen = await onboarded(world, client_info=NO_KEYBOARD)
        receipt = await propose(screen, "Пруд, у старой ивы")
        await screen.tap("nav:menu")  # the receipt ends the proposal with three buttons, the menu one of them
        await screen.tap("menu:polls")
        await screen.tap("poll:park_name")
        done = await screen.tap("vote:park_name:urguy")
        assert "голос учтён" in all_text(done), all_text(done)
        assert {how for _, how in screen.presses} == {"number"}, screen.presses

        resident = await screen.stored()
        [proposal] = await proposals(world)
        assert (receipt, proposal["address"], proposal["photos"], proposal["resident_id"]) == \
            (f"П-{proposal['id']}", "Пруд, у старой ивы", 1, resident.id)
        poll = await content_id(world, "polls", "park_name")
        assert await world.app.db.reader.polls.ballot(poll, f"resident:{resident.id}") == [("urguy", 1)]
