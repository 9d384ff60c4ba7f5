"""Replies reach VK residents as keyboards they can use, through VK's limits and failures."""
from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest

from bot.core.replies import Button, Reply
from channels.vk import parse, render
from tests.drivers import eventually
from tests.drivers.vk import MODERN_CLIENT, world
from tests.drivers.webchat import WebChatResident
from tests.fakes.vk import keyboard_problem
from tests.journey import last_buttons, onboard


@pytest.fixture
async def vk(tmp_path):
    async with world(tmp_path) as running:
        yield running


def rows(tmp_path, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(tmp_path / "souchastie.db") as db:
        return db.execute(sql, args).fetchall()


def reachable(tmp_path, resident) -> bool:
    return rows(tmp_path, "SELECT reachable FROM residents WHERE external_id = ?", str(resident.user_id)) == [(1,)]


# -- keyboards ------------------------------------------------------------------------------------

async def test_modern_clients_get_inline_callback_buttons_and_a_normal_keyboard_for_the_place(vk):
    resident = vk.resident(1)
    greeting = await resident.send_text("/start")
    board = vk.fake.sent_to(resident.user_id)[-1]["keyboard"]
    assert board["inline"] is True and "one_time" not in board
    assert {b["action"]["type"] for row in board["buttons"] for b in row} == {"callback"}
    assert "consent:yes" in last_buttons(greeting)

    await resident.press("consent:yes")  # VK reports the language (lang_id): it is not asked
    await resident.press("menu:propose")
    draft = await resident.send_text("Фонтан на центральной аллее, как раньше")
    board = vk.fake.sent_to(resident.user_id)[-1]["keyboard"]
    assert board["inline"] is False and board["one_time"] is True
    assert draft[-1].requests() == ["location"] and "prop:confirm" in last_buttons(draft)
    categories = await resident.press("prop:category")  # a text button of the normal keyboard
    assert "cat:tree" in last_buttons(categories)


def test_a_reply_too_big_for_an_inline_keyboard_gets_a_normal_one_and_numbers_only_without_keyboards():
    many = tuple(tuple(Button(label=f"Вариант {row}{col}", payload=f"poll:{row}{col}") for col in range(4))
                 for row in range(3))
    for support in (parse.ClientSupport(inline=True), parse.ClientSupport(inline=False)):
        shown = render.render(9, Reply(text="Выберите", buttons=many), support)
        board = json.loads(shown[-1].keyboard)
        assert board["inline"] is False and not keyboard_problem(board)
        assert sum(len(row) for row in board["buttons"]) == 12
    few = render.render(9, Reply(text="Выберите", buttons=many[:2]), parse.ClientSupport(inline=True))
    assert json.loads(few[-1].keyboard)["inline"] is True
    tall = tuple((Button(label=f"Пункт {n}", payload=f"menu:{n}"),) for n in range(11))
    sent = render.render(9, Reply(text="Меню", buttons=tall), parse.ClientSupport(inline=True))
    board = json.loads(sent[-1].keyboard)
    assert len(board["buttons"]) <= render.NORMAL_ROWS and not keyboard_problem(board)
    plain = render.render(9, Reply(text="Выберите", buttons=many), parse.ClientSupport(keyboard=False, inline=False))
    assert plain[-1].keyboard is None and "12. Вариант 23" in plain[-1].text

    long_label = Reply(text="?", buttons=((Button(label="Очень длинная подпись " * 4, payload="x:1"),),))
    board = json.loads(render.render(1, long_label, parse.ClientSupport(inline=True))[0].keyboard)
    assert len(board["buttons"][0][0]["action"]["label"]) == render.LABEL_LIMIT


def test_a_long_reply_is_split_with_a_random_id_per_part_that_is_the_same_on_a_retry():
    reply = Reply(text="Абзац текста. " * 800, buttons=((Button(label="Дальше", payload="nav:menu"),),))
    first = render.render(41, reply, parse.ClientSupport(inline=True))
    assert len(first) > 1 and all(len(m.text) <= render.TEXT_LIMIT for m in first)
    assert [m.keyboard is not None for m in first] == [False] * (len(first) - 1) + [True]
    assert len({m.random_id for m in first}) == len(first)
    assert [m.random_id for m in render.render(41, reply, parse.ClientSupport())] == [m.random_id for m in first]
    assert all(0 < m.random_id < 2**31 for m in first)


# -- failures -------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["rate", "flood", "5xx"])
async def test_a_busy_or_failing_vk_is_retried_and_the_resident_gets_the_reply_once(vk, kind):
    resident = vk.resident(2)
    vk.fake.fail("messages.send", kind, times=2)
    greeting = await resident.send_text("/start")
    assert "consent:yes" in last_buttons(greeting)
    assert len(vk.fake.calls_of("messages.send")) >= 3
    assert len([m for m in vk.fake.sent_to(resident.user_id) if m["keyboard"]]) == 1


async def test_a_vk_that_keeps_failing_leaves_the_reply_pending_and_the_resident_reachable(vk, tmp_path):
    resident = vk.resident(3)
    vk.fake.fail("messages.send", "5xx", times=50)
    update = resident.message_new("/start")
    vk.fake.push(update)
    attempts = vk.app.settings.vk.send_attempts
    await eventually(lambda: len(vk.fake.calls_of("messages.send")) >= attempts, timeout=20)
    await eventually(lambda: rows(tmp_path, "SELECT processed_at IS NOT NULL FROM inbox WHERE update_id = ?",
                                  update["event_id"]) == [(1,)], timeout=20)
    assert rows(tmp_path, "SELECT DISTINCT status FROM outbox WHERE channel = 'vk'") == [("pending",)]
    assert reachable(tmp_path, resident) and not vk.fake.sent_to(resident.user_id)


async def test_a_send_that_timed_out_is_retried_without_a_duplicate_message(tmp_path):
    async with world(tmp_path, SOUCHASTIE_VK_REQUEST_TIMEOUT_SECONDS="1") as vk:
        vk.fake.slow_seconds = 2.5
        resident = vk.resident(4)
        vk.fake.fail("messages.send", "timeout", times=1)
        greeting = await resident.send_text("/start")
        assert "consent:yes" in last_buttons(greeting)
        timed_out = vk.fake.calls_of("messages.send")[0].params["random_id"]
        # VK may still carry out a call the client gave up on; wait until the slow one is answered.
        await eventually(lambda: len(vk.fake.calls_of("messages.send", answered=True))
                         == len(vk.fake.calls_of("messages.send")) >= 2, timeout=10)
        ids = [m["random_id"] for m in vk.fake.sent_to(resident.user_id)]
        assert ids.count(int(timed_out)) == 1 and len(ids) == len(set(ids))


async def test_a_resident_who_forbade_messages_is_marked_unreachable(vk, tmp_path):
    resident = vk.resident(5)
    vk.fake.block(resident.user_id)
    assert await resident.send_text("/start") == []
    assert not reachable(tmp_path, resident)
    assert rows(tmp_path, "SELECT DISTINCT status FROM outbox WHERE channel = 'vk'") == [("failed",)]


async def test_a_resident_who_blocks_mid_proposal_and_comes_back_continues_where_they_were(vk, tmp_path):
    resident = vk.resident(6)
    await onboard(resident)
    await resident.press("menu:propose")
    vk.fake.block(resident.user_id)
    assert await resident.send_text("Старая липа у входа, нужна обрезка") == []  # VK refused with error 901
    assert not reachable(tmp_path, resident)

    vk.fake.blocked.discard(resident.user_id)
    allow = resident.update("message_allow", {"user_id": resident.user_id, "key": "123456"})
    await resident.send(allow)
    assert reachable(tmp_path, resident)
    draft = await resident.send_text("У главного входа")  # the draft kept the text: this is its place
    assert "Старая липа" in "".join(m.text for m in draft) and "prop:confirm" in last_buttons(draft)


async def test_a_hundred_residents_at_once_each_get_their_own_replies(vk, tmp_path):
    # Every second client is set to English (VK's lang_id 3): each gets the menu in their language.
    residents = [vk.resident(100 + n, {**MODERN_CLIENT, "lang_id": 3 if n % 2 else 0}) for n in range(100)]
    greetings = await asyncio.gather(*(r.send_text("/start") for r in residents))
    assert all("consent:yes" in last_buttons(g) for g in greetings)
    menus = await asyncio.gather(*(r.press("consent:yes") for r in residents))
    for n, menu in enumerate(menus):
        assert "menu:propose" in last_buttons(menu)
        labels = " ".join(b["label"] for m in menu for row in m.buttons for b in row)
        assert ("Propose an idea" in labels) == bool(n % 2), labels
    per_peer = {r.user_id: len(vk.fake.sent_to(r.user_id)) for r in residents}
    assert len(set(per_peer.values())) == 1 and sum(per_peer.values()) == len(vk.fake.sent)


async def test_a_slow_vk_does_not_hold_up_residents_of_other_channels(tmp_path):
    async with world(tmp_path, SOUCHASTIE_VK_REQUEST_TIMEOUT_SECONDS="1") as vk:
        vk.fake.slow_seconds = 2.5
        vk.fake.fail("messages.send", "timeout", times=1)
        slow = asyncio.create_task(vk.resident(8).send_text("/start"))
        await eventually(lambda: vk.fake.calls_of("messages.send"), timeout=20)
        browser = WebChatResident(vk.http, f"http://127.0.0.1:{vk.app.port}")
        assert "consent:yes" in last_buttons(await browser.send_text("/start"))
        assert not vk.fake.calls_of("messages.send", answered=True)  # VK has not answered yet
        assert "consent:yes" in last_buttons(await slow)
