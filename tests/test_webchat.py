"""The web chat as a resident and a site widget use it: the HTTP API and its bad inputs."""
from __future__ import annotations

import asyncio
import json
import secrets

import aiohttp
import pytest

from tests import stored
from tests.drivers.webchat import API, world as webchat_world
from tests.journey import JPEG, all_text, last_buttons, onboard, propose

pytestmark = pytest.mark.both_engines  # a journey: on SQLite and on PostgreSQL (tests/conftest.py)


@pytest.fixture
async def world(tmp_path):
    async with webchat_world(tmp_path) as running:
        yield running


async def count(world, table: str) -> int:
    return await stored.count(world.app.db, table)


async def test_chat_page_is_served_with_its_script(world):
    async with world.http.get(world.base + "/chat") as response:
        page = await response.text()
    assert response.status == 200 and "/chat/chat.js" in page and 'lang="ru"' in page
    async with world.http.get(world.base + "/chat/chat.js") as response:
        assert response.status == 200 and "crypto.getRandomValues" in await response.text()


async def test_same_message_sent_twice_is_processed_once_and_answered_alike(world):
    resident = world.resident()
    await onboard(resident)
    first = await resident.post({"button": "menu:propose"}, message_id="retry-1")
    again = await resident.post({"button": "menu:propose"}, message_id="retry-1")
    assert again["duplicate"] is True
    assert [r["id"] for r in again["replies"]] == [r["id"] for r in first["replies"]]
    # Processed once: the resident is at the text step, and the next text makes the draft.
    draft = await resident.send_text("Поставить скамейки у пруда и фонарь")
    assert "prop:confirm" in last_buttons(draft)


async def test_fifty_thousand_characters_get_a_friendly_limit_and_change_nothing(world):
    resident = world.resident()
    await onboard(resident)
    await resident.press("menu:propose")
    answer = await resident.send_text("я" * 50_000)
    assert "50000" in all_text(answer) and "2000" in all_text(answer)
    assert await count(world, "proposals") == 0
    draft = await resident.send_text("Нормальный текст идеи для парка")
    assert "prop:confirm" in last_buttons(draft)


async def test_empty_text_is_refused_with_a_reason(world):
    resident = world.resident()
    async with world.http.post(world.base + API, json={"session": resident.session, "text": "   "}) as response:
        body = await response.json()
    assert response.status == 400 and body["error"] == "empty_text"
    assert await count(world, "inbox") == 0


async def test_photo_where_text_was_asked_gets_a_hint_and_the_step_stays(world):
    resident = world.resident()
    await onboard(resident)
    await resident.press("menu:propose")
    answer = await resident.send_photo(JPEG)
    assert "текст" in all_text(answer).lower()
    assert "prop:confirm" not in last_buttons(answer)
    moved_on = await resident.send_text("Текст идеи после фото")
    assert "prop:confirm" in last_buttons(moved_on)


async def test_button_from_an_old_menu_is_explained_and_changes_nothing(world):
    resident = world.resident()
    await onboard(resident)
    await resident.press("menu:propose")
    stale = await resident.press("menu:subscriptions")
    assert "прошлого сообщения" in all_text(stale)
    assert "nav:cancel" in last_buttons(stale)  # the current step asked again
    forged = await resident.press("cat:../../etc")
    assert "прошлого сообщения" in all_text(forged)
    assert await count(world, "subscriptions") == 0


async def test_unknown_category_from_a_forged_button_is_refused(world):
    resident = world.resident()
    await onboard(resident)
    await resident.press("menu:propose")
    await resident.send_text("Поставить скамейки у пруда и фонарь")
    await resident.press("prop:category")
    answer = await resident.press("cat:casino")
    assert "Такого раздела нет" in all_text(answer)
    assert "cat:idea" in last_buttons(answer)


@pytest.mark.parametrize("body, error", [
    (b"{not json", "malformed_json"),
    (b"[1, 2]", "malformed_json"),
    (json.dumps({"session": "short", "text": "hi"}).encode(), "bad_session"),
    (json.dumps({"session": "Z" * 32, "text": "hi"}).encode(), "bad_session"),
    (json.dumps({"session": "a" * 32}).encode(), "bad_message"),
    (json.dumps({"session": "a" * 32, "text": "x", "button": "y"}).encode(), "bad_message"),
    (json.dumps({"session": "a" * 32, "text": 5}).encode(), "bad_text"),
    (json.dumps({"session": "a" * 32, "button": "x" * 65}).encode(), "bad_button"),
    (json.dumps({"session": "a" * 32, "location": {"latitude": 91, "longitude": 0}}).encode(), "bad_location"),
    (json.dumps({"session": "a" * 32, "location": {"latitude": "x", "longitude": 0}}).encode(), "bad_location"),
    (json.dumps({"session": "a" * 32, "text": "hi", "id": "bad id!"}).encode(), "bad_id"),
])
async def test_malformed_requests_get_a_4xx_with_a_reason_and_store_nothing(world, body, error):
    async with world.http.post(world.base + API, data=body,
                               headers={"Content-Type": "application/json"}) as response:
        answer = await response.json()
    assert 400 <= response.status < 500
    assert answer["error"] == error and answer["reason"]
    assert await count(world, "inbox") == 0 and await count(world, "residents") == 0


async def test_a_file_that_is_not_an_image_is_refused(world):
    form = aiohttp.FormData()
    form.add_field("session", secrets.token_hex(16))
    form.add_field("photo", b"MZ\x90\x00 not a picture", filename="photo.jpg", content_type="image/jpeg")
    async with world.http.post(world.base + API, data=form) as response:
        answer = await response.json()
    assert response.status == 415 and answer["error"] == "not_an_image"


async def test_replies_sent_later_reach_the_browser_through_the_long_poll(world):
    resident = world.resident()
    await onboard(resident)
    waiting = asyncio.create_task(resident.later(timeout=10))
    await asyncio.sleep(0.05)
    assert not waiting.done()
    # A reply produced outside the browser's own request (another tab, a status notice later).
    await resident.post({"button": "menu:about"})
    later = await asyncio.wait_for(waiting, 10)
    assert any("59-ФЗ" in m.text for m in later) or later == []
    everything = await resident.later(timeout=0)
    assert all(m.text for m in everything)


async def test_another_session_cannot_read_a_residents_replies(world):
    owner, stranger = world.resident(), world.resident()
    await onboard(owner)
    assert await stranger.later(timeout=0) == []


async def test_consent_refused_stores_no_name_and_allows_reading(world):
    resident = world.resident()
    await resident.send_text("/start")
    await resident.press("consent:no")
    rows = await stored.rows(world.app.db, "residents", "display_name", "consent_at", "consent_declined_at")
    assert [(r[0], r[1]) for r in rows] == [("", None)] and rows[0][2]


async def test_forget_erases_the_profile_keeps_the_idea_anonymously_and_records_it(world):
    resident = world.resident()
    await onboard(resident, source="poster_3")
    await resident.press("menu:subscriptions")
    await resident.press("sub:episodes")
    await resident.press("nav:menu")
    await propose(resident)
    privacy = await resident.send_text("/privacy")
    assert "poster_3" in all_text(privacy) and "Подписки: Мультсериал «ПАРКУ БЫТЬ!»" in all_text(privacy)
    confirm = await resident.send_text("/forget")
    assert "priv:confirm" in last_buttons(confirm)
    gone = await resident.press("priv:confirm")
    assert "удалены" in all_text(gone)
    db = world.app.db
    assert await stored.count(db, "residents") == 0
    assert await stored.count(db, "subscriptions") == 0
    assert await stored.rows(db, "proposals", "resident_id", "source") == [(None, "poster_3")]
    deletion = (await stored.rows(db, "deletions", "channel", "what", "kept"))[0]
    assert deletion[0] == "webchat" and json.loads(deletion[2])["proposals_without_author"] == 1
    # Starting again makes a new, empty profile that asks for consent again.
    again = await resident.press("nav:start")
    assert "consent:yes" in last_buttons(again)


async def test_stop_leaves_every_subscription(world):
    resident = world.resident()
    await onboard(resident)
    await resident.press("menu:subscriptions")
    await resident.press("sub:episodes")
    toggled = await resident.press("sub:news")
    labels = [b["label"] for m in toggled for row in m.buttons for b in row]
    assert "✅ Новости проекта" in labels and "✅ Мультсериал «ПАРКУ БЫТЬ!»" in labels
    stopped = await resident.send_text("/stop")
    assert "отписались" in all_text(stopped)
    assert await count(world, "subscriptions") == 0


async def test_english_speaker_gets_english_texts(world):
    resident = world.resident()
    await resident.send_text("/start")
    await resident.press("consent:yes")
    menu = await resident.press("lang:en")
    assert "Main menu" in all_text(menu)


async def test_two_hundred_residents_chatting_at_once_get_their_own_replies(world):
    async def one(number: int) -> tuple[str, str]:
        resident = world.resident(number)
        await onboard(resident)
        text = f"Идея номер {number} для парка"
        receipt = await propose(resident, text=text, photo=number % 5 == 0, point=None if number % 2 else (50.1, 118.0))
        listing = await resident.press("menu:mine")
        assert receipt in all_text(listing) and text in all_text(listing)
        return receipt, text

    results = await asyncio.gather(*(one(n) for n in range(200)))
    assert len({receipt for receipt, _ in results}) == 200
    rows = await stored.rows(world.app.db, "proposals", "id", "text")
    by_receipt = {f"П-{r[0]}": r[1] for r in rows}
    assert all(by_receipt[receipt] == text for receipt, text in results)
