"""How many actions a resident needs from /start to a proposal's receipt, on every channel, with
the shipped campaign loaded (issue 12: a senior finishes a proposal in a few taps).

The resident wants to send one idea with a photo and a place, and does only what the screen in
front of them offers (``tests.screen.Screen``: a button shown, one behind «Ещё…», a numbered
line's number typed), answering whatever the bot asks, so the count is what the conversation
demands and not what a script assumed. Each press, text, photo and place sent is one action;
``/start`` (the Start button, or opening the web chat's page) is where the count begins. Each
resident is played as their platform sends them: Telegram, VK, MAX and the gateway report the
resident's language, the web chat sends the browser's, WhatsApp and OK report none.
"""
from __future__ import annotations

import re

import pytest

from storage.moderation import ProposalFilter
from tests.drivers import (
    CAMPAIGN,
    JOURNEY_CHANNELS,
    load_content_into,
    load_world,
    telegram as telegram_driver,
    vk as vk_driver,
)
from tests.journey import JPEG, all_text
from tests.screen import DeadEnd, Screen, describe

IDEA = "Поставить скамейки у пруда и фонарь"
POND = (50.0958, 118.0317)
ADDRESS = "Пруд, у старой ивы"
RECEIPT = re.compile(r"П-\d+")
MOST_ACTIONS = 20  # a journey longer than this is going round in circles

# Before issue 12 it was nine actions on every channel: consent, language, «Предложить идею»,
# category, text, photo, «Дальше», place, «Отправить». Now the language is asked only where the
# platform reports none (WhatsApp, OK), the category is the first one unless changed, and the
# photo and the place are added on the draft, whose «Отправить» gives the receipt.
REPORTED = ["consent:yes", "menu:propose", "text", "photo", "location", "prop:confirm"]
NOT_REPORTED = ["consent:yes", "lang:ru", "menu:propose", "text", "photo", "location", "prop:confirm"]
EXPECTED = {"webchat": REPORTED, "vk": REPORTED, "telegram": REPORTED, "max": REPORTED, "gateway": REPORTED,
            "whatsapp": NOT_REPORTED, "ok": NOT_REPORTED}
MOST_IN_THE_WEB_CHAT = 7  # issue 12: from opening the page to the receipt, besides typing the idea
NO_KEYBOARD = {"button_actions": [], "keyboard": False, "inline_keyboard": False, "carousel": False, "lang_id": 0}


async def asks_for_a_photo(screen: Screen) -> bool:
    """Whether the bot's step now asks for a photo (as its router declares it)."""
    resident = await screen.stored()
    rule = screen.world.app.dispatcher.photo_steps.get(resident.state)
    return rule is not None and rule(resident)


def offers_a_place(screen: Screen) -> bool:
    return any("location" in message.requests() for message in screen.shown)


async def to_a_receipt(screen: Screen) -> str:
    """From /start to the receipt of one idea with a photo and a place, doing what the screen
    asks; returns the receipt number."""
    await screen.say("/start")
    screen.actions.clear()  # the count starts after /start
    sent = set()
    while len(screen.actions) < MOST_ACTIONS:
        if found := RECEIPT.search(all_text(screen.shown)):
            return found.group(0)
        if await screen.offers("consent:yes"):
            await screen.tap("consent:yes")
        elif await screen.offers("lang:ru"):
            await screen.tap("lang:ru")
        elif "text" not in sent and await screen.offers("menu:propose"):
            await screen.tap("menu:propose")
        elif await screen.offers("cat:idea"):
            await screen.tap("cat:idea")
        elif "text" not in sent and await screen.offers("nav:cancel"):
            sent.add("text")
            await screen.say(IDEA)
        elif "photo" not in sent and await asks_for_a_photo(screen):
            sent.add("photo")
            await screen.send_photo(JPEG)
        elif "location" not in sent and offers_a_place(screen):
            sent.add("location")
            await screen.send_location(*POND)
        elif "location" not in sent and await screen.offers("prop:confirm"):
            sent.add("location")  # no button for it on this screen: the place in words
            await screen.say(ADDRESS)
        elif await screen.offers("prop:confirm"):
            await screen.tap("prop:confirm")
        else:
            raise DeadEnd(f"nothing on the screen leads on to a receipt:\n{describe(screen.shown)}")
    raise AssertionError(f"no receipt after {MOST_ACTIONS} actions: {screen.actions}")


@pytest.mark.parametrize("channel", JOURNEY_CHANNELS)
async def test_a_resident_reaches_the_receipt_of_an_idea_with_a_photo_and_a_place_in_few_actions(tmp_path, channel):
    async with load_world(channel)(tmp_path) as world:
        await load_content_into(world.app, CAMPAIGN)
        resident = world.resident(1)
        if channel == "webchat":
            resident.language = "ru"  # the page sends navigator.language with every message
        screen = Screen(world, resident)
        receipt = await to_a_receipt(screen)

        assert screen.actions == EXPECTED[channel], screen.actions
        if channel == "webchat":
            assert len([a for a in screen.actions if a != "text"]) <= MOST_IN_THE_WEB_CHAT
        [proposal] = [row async for page in world.app.db.reader.exports.proposals(ProposalFilter(), personal=True)
                      for row in page]
        assert (receipt, proposal["category"], proposal["text"], proposal["photos"], proposal["latitude"]) == \
            (f"П-{proposal['id']}", "idea", IDEA, 1, POND[0])


async def test_a_vk_resident_whose_client_shows_no_keyboard_types_six_answers_and_the_idea(tmp_path):
    """Numbers typed for buttons, and the place typed as an address: as many actions as with buttons."""
    async with vk_driver.world(tmp_path) as world:
        await load_content_into(world.app, CAMPAIGN)
        screen = Screen(world, world.resident(1, client_info=NO_KEYBOARD))
        receipt = await to_a_receipt(screen)

        assert screen.actions == ["consent:yes", "menu:propose", "text", "photo", "text", "prop:confirm"], \
            screen.actions
        assert {how for _, how in screen.presses} == {"number"}
        [proposal] = [row async for page in world.app.db.reader.exports.proposals(ProposalFilter(), personal=True)
                      for row in page]
        assert (receipt, proposal["address"], proposal["photos"]) == (f"П-{proposal['id']}", ADDRESS, 1)


async def test_a_town_that_has_the_category_asked_pays_one_action_for_it(tmp_path):
    async with telegram_driver.world(tmp_path, SOUCHASTIE_PROPOSALS_ASK_CATEGORY="true") as world:
        await load_content_into(world.app, CAMPAIGN)
        screen = Screen(world, world.resident(1))
        await to_a_receipt(screen)

        assert screen.actions == ["consent:yes", "menu:propose", "text", "cat:idea", "photo", "location",
                                  "prop:confirm"], screen.actions
