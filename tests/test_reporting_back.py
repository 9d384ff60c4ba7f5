"""Reporting back (issue 16, point 4): an author hears what became of their proposals — in ONE
digest a period, not one message per change, nothing when nothing changed, never twice (a
restart included), never after /forget — through the broadcast outbox and its paced senders;
and may ask «Что стало с моими идеями?» at any time, by the menu's button, /ideas, or in words.

Run on the web chat, VK, Telegram and MAX, each through its real client and a fake platform,
with the shipped campaign loaded (the menu as a town has it)."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from broadcasts.digests import send_due_digests
from tests import stored
from tests.drivers import CAMPAIGN, BotMessage, eventually, load_content_into, load_world
from tests.drivers.panel import StaffBrowser, make_staff
from tests.drivers.webchat import world as webchat_world
from tests.journey import all_text, last_buttons, onboard, propose

CHANNELS = ["webchat", "vk", "telegram", "max"]
HEADER = "Что стало с вашими предложениями"
ANSWER = "Спасибо! Пандус включён в план ремонта."


@pytest.fixture(params=CHANNELS)
async def world(request, tmp_path):
    async with load_world(request.param)(tmp_path) as running:
        await load_content_into(running.app, CAMPAIGN)
        yield running


def evening(app, hours_after: int = 1) -> datetime:
    """Today in the town, ``hours_after`` the digest hour (negative: before it)."""
    zone = app.settings.project.clock.zone
    return datetime.now(zone).replace(hour=app.settings.digests.hour, minute=0) + timedelta(hours=hours_after)


async def collected(resident, phrase: str, timeout: float = 15) -> list[BotMessage]:
    """What the bot sent the resident on its own until a message with ``phrase`` came."""
    received: list[BotMessage] = []

    async def arrived() -> bool:
        try:
            received.extend(await resident.later(1))
        except AssertionError:  # a messenger driver found nothing new within the second
            pass
        return phrase in all_text(received)

    await eventually(arrived, timeout)
    return received


async def accept_and_answer(app, number: int) -> None:
    """Two changes by a moderator: a status and an answer (each told to the author at once)."""
    await make_staff(app, "mila", "moderator")
    async with StaffBrowser.of(app) as mila:
        await mila.login("mila")
        assert (await mila.post(f"/admin/proposals/{number}/status", {"status": "accepted"})).status == 200
        assert (await mila.post(f"/admin/proposals/{number}/answer", {"text": ANSWER})).status == 200


async def digest_deliveries(app) -> list[tuple]:
    broadcasts = [row[0] for row in await stored.rows(app.db, "broadcasts", "id", created_by="digests")]
    return [row for broadcast in broadcasts
            for row in await stored.rows(app.db, "deliveries", "status", "reply", broadcast_id=broadcast)]


async def test_an_author_gets_one_digest_of_two_changes_once_through_the_paced_outbox(world):
    app = world.app
    author = world.resident(41)
    await onboard(author)
    receipt = await propose(author, "Сделать пандус у входа в библиотеку", photo=False, point=None)
    await accept_and_answer(app, int(receipt.split("-")[1]))
    await collected(author, "Пандус включён в план ремонта")  # the notices of each change, at once

    assert await send_due_digests(app.db, app.texts, app.settings, app.broadcasts.wake, evening(app, -1)) == 0
    assert await send_due_digests(app.db, app.texts, app.settings, app.broadcasts.wake, evening(app)) == 1
    got = await collected(author, HEADER)
    digests = [message for message in got if HEADER in message.text]
    assert len(digests) == 1, all_text(got)
    assert receipt in digests[0].text and "принято в проект" in digests[0].text and ANSWER in digests[0].text
    assert "menu:ideas" in digests[0].payloads
    # Sent by the broadcast sender of the channel (paced), its own message cleared once sent.
    assert app.broadcasts.senders[author_channel(world)].calls_made >= 1
    assert await eventually(lambda: _all_sent(app)) and (await digest_deliveries(app))[0][1] is None

    assert await send_due_digests(app.db, app.texts, app.settings, app.broadcasts.wake, evening(app, 2)) == 0
    assert len(await digest_deliveries(app)) == 1


def author_channel(world) -> str:
    return next(iter(world.app.channels)) if len(world.app.channels) == 1 else next(
        name for name in world.app.channels if name != "webchat")


async def _all_sent(app) -> bool:
    return [status for status, _ in await digest_deliveries(app)] == ["sent"]


async def test_what_became_of_my_ideas_by_button_command_and_words(world):
    app = world.app
    author = world.resident(42)
    menu = await onboard(author)
    assert "menu:ideas" in last_buttons(menu) and "menu:join" in last_buttons(menu)
    empty = await author.press("menu:ideas")
    assert "пока нет предложений" in all_text(empty) and "menu:propose" in last_buttons(empty)
    receipt = await propose(author, "Поставить фонари вдоль аллеи к пруду", photo=False, point=None)
    await accept_and_answer(app, int(receipt.split("-")[1]))
    await collected(author, "Пандус включён в план ремонта")
    for asked in (author.press("menu:ideas"), author.send_text("/ideas"), author.send_text("что стало с моими идеями")):
        shown = all_text(await asked)
        assert receipt in shown and "принято в проект" in shown and ANSWER in shown, shown


async def test_many_proposals_come_a_page_at_a_time(tmp_path):
    async with webchat_world(tmp_path, SOUCHASTIE_DIGESTS_PAGE_SIZE="2") as world:
        author = world.resident(43)
        await onboard(author)
        receipts = [await propose(author, f"Идея номер {n}: скамейки и урны у пруда", photo=False, point=None)
                    for n in range(3)]
        first = await author.press("menu:ideas")
        assert "страница 1 из 2" in all_text(first) and receipts[2] in all_text(first)
        assert receipts[0] not in all_text(first) and "ideas:page:2" in last_buttons(first)
        second = await author.press("ideas:page:2")
        assert receipts[0] in all_text(second) and receipts[2] not in all_text(second)


async def test_no_digest_without_news_after_a_restart_or_for_a_forgotten_author(tmp_path):
    async with webchat_world(tmp_path) as world:
        app = world.app
        told, quiet, forgotten = world.resident(44), world.resident(45), world.resident(46)
        for resident in (told, quiet, forgotten):
            await onboard(resident)
        told_receipt = await propose(told, "Сделать пандус у входа в библиотеку", photo=False, point=None)
        await propose(quiet, "Посадить сирень вдоль забора парка", photo=False, point=None)
        gone_receipt = await propose(forgotten, "Починить качели на детской площадке", photo=False, point=None)
        await accept_and_answer(app, int(told_receipt.split("-")[1]))
        async with StaffBrowser.of(app) as mila:
            await mila.login("mila")
            await mila.post(f"/admin/proposals/{int(gone_receipt.split('-')[1])}/status", {"status": "accepted"})
        await forgotten.send_text("/forget")
        await forgotten.press("priv:confirm")
        assert await stored.count(app.db, "residents") == 2
        assert await send_due_digests(app.db, app.texts, app.settings, app.broadcasts.wake, evening(app)) == 1
        assert await eventually(lambda: _all_sent(app))
    async with webchat_world(tmp_path) as world:
        app = world.app
        assert await send_due_digests(app.db, app.texts, app.settings, app.broadcasts.wake, evening(app, 3)) == 0
        assert len(await digest_deliveries(app)) == 1


async def test_a_voter_hears_the_results_of_the_closed_poll_once_without_subscribing(world, tmp_path):
    from handlers.polls import announce_due_results

    polls = Path(__file__).parent / "fixtures" / "content" / "polls.yaml"
    await load_content_into(world.app, polls)
    voter, fan, bystander = world.resident(47), world.resident(48), world.resident(49)
    for resident in (voter, fan, bystander):
        await onboard(resident)
    await fan.press("menu:subscriptions")
    await fan.press("sub:results")
    for resident in (voter, fan):
        await resident.send_text("/start poll-zones")
        await resident.press("vote:zones:skate")
        await resident.press("vote:zones:_done")
    closed = tmp_path / "closed.yaml"
    closed.write_text(polls.read_text(encoding="utf-8").replace("closes: 2099-01-01T00:00:00+09:00",
                                                                "closes: 2021-01-01T00:00:00+09:00"), encoding="utf-8")
    await load_content_into(world.app, closed)
    await announce_due_results(world.app.dispatcher, world.app.texts)  # the job may have run first: once either way
    for resident in (voter, fan):
        got = await collected(resident, "Итоги «Что важнее? До двух»")
        got += await _more(resident)
        assert len([m for m in got if m.text.startswith("Итоги «Что важнее? До двух»")]) == 1, all_text(got)
    assert "Итоги «Что важнее" not in all_text(await _more(bystander))


async def _more(resident) -> list[BotMessage]:
    try:
        return await resident.later(1)
    except AssertionError:  # a messenger driver found nothing new
        return []
