"""The strict resident of the journey tests (``tests.screen``) presses only what it is shown:
it finds a button behind the pages of a long keyboard, and it stops at a button that is not
there instead of forging its press, as the drivers' ``press`` does."""
from __future__ import annotations

import pytest

from tests.drivers import CAMPAIGN, load_content_into, whatsapp as whatsapp_driver
from tests.journey import all_text
from tests.screen import DeadEnd, Screen


async def onboarded(world) -> Screen:
    screen = Screen(world, world.resident(1))
    await screen.say("/start")
    await screen.tap("consent:yes")
    await screen.tap("lang:ru")  # WhatsApp reports no language: it is asked
    return screen


async def test_a_button_on_a_later_page_is_found_through_more_and_one_on_the_first_page_back(tmp_path):
    async with whatsapp_driver.world(tmp_path) as world:
        await load_content_into(world.app, CAMPAIGN)  # 11 menu items: a WhatsApp list holds 10 rows
        screen = await onboarded(world)
        assert not screen.showing("menu:language") and screen.showing("kb:1")
        languages = await screen.tap("menu:language")
        assert "Выберите язык" in all_text(languages), all_text(languages)
        await screen.tap("lang:ru")
        await screen.tap("kb:1")  # the second page of the menu is on screen
        assert not screen.showing("menu:propose") and screen.showing("kb:0")
        asked = await screen.tap("menu:propose")
        assert "Опишите вашу идею" in all_text(asked), all_text(asked)
        assert [how for _, how in screen.presses] == ["button"] * 6


async def test_a_button_that_is_not_shown_is_a_dead_end_and_nothing_is_sent(tmp_path):
    async with whatsapp_driver.world(tmp_path) as world:
        await load_content_into(world.app, CAMPAIGN)
        screen = await onboarded(world)
        sent = len(world.fake.sent_to(screen.resident.wa_id))
        with pytest.raises(DeadEnd, match="poll:zones"):
            await screen.tap("poll:zones")  # a poll's button, while the main menu is shown
        resident = await screen.stored()
        assert resident.state == ""  # still at the menu: no press was forged
        assert len(world.fake.sent_to(screen.resident.wa_id)) == sent + 1  # only the page turned
        with pytest.raises(DeadEnd, match="share a phone number"):
            await screen.share_contact("+79140001234")
