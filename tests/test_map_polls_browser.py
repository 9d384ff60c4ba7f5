"""A vote on a map in the web chat, in a real browser: the zones on the live map, a tap on a zone
votes for it; where no map can be shown, the bot's picture of the numbered zones and the buttons."""
from __future__ import annotations

import pytest

from bot.map_pictures import MapPictures
from handlers.map_polls import draw_missing
from tests.browser import chat_with_map, needs_chromium, phone_browser
from tests.drivers import CAMPAIGN, load_content_into
from tests.drivers.webchat import world as webchat_world

pytestmark = [needs_chromium, pytest.mark.usefixtures("one_chromium"), pytest.mark.asyncio(loop_scope="module")]
QUIET = {"SOUCHASTIE_MAPS_RENDER_EVERY_SECONDS": "3600"}


async def open_the_poll(page, world) -> None:
    await draw_missing(world.app.db, MapPictures(world.app.settings.storage.attachments_dir, world.app.settings.maps))
    await page.goto(f"{world.base}/chat")
    await page.get_by_role("button", name="✅ Согласен(на)").click()
    await page.get_by_text("Главное меню").last.wait_for()
    await page.fill("#text", "/start poll-first_zone")
    await page.press("#text", "Enter")


async def tally(world) -> dict[str, int]:
    _, chosen = await world.app.db.reader.statistics.poll_tally("first_zone")
    return {option: times for option, (times, _) in chosen.items()}


async def test_a_tap_on_a_zone_of_the_map_votes_for_it(tmp_path):
    async with chat_with_map(tmp_path, **QUIET) as (world, tiles):
        async with phone_browser(world) as page:
            await open_the_poll(page, world)
            zones = page.locator(".zones path.leaflet-interactive")
            await zones.nth(4).wait_for()                                   # four zones and the fountain
            assert await page.locator(".zones .zone-number").all_inner_texts() == ["1", "2", "3", "4", "5"]
            await zones.nth(2).click()                                      # zone 3, «Берег пруда»
            await page.get_by_text("Спасибо, ваш голос учтён!").wait_for()
            assert await page.locator("li.me").last.inner_text() == "3. Берег пруда"
            assert tiles.asked
        assert await tally(world) == {"pond": 1}


async def test_without_a_map_the_picture_and_its_numbered_buttons_vote(tmp_path):
    async with webchat_world(tmp_path, SOUCHASTIE_WEBCHAT_MAP_TILES_URL='""', **QUIET) as world:
        await load_content_into(world.app, CAMPAIGN)
        async with phone_browser(world) as page:
            await open_the_poll(page, world)
            picture = page.locator("img.zones-picture")
            await picture.wait_for()
            await page.wait_for_function("document.querySelector('img.zones-picture').naturalWidth === 800")
            assert await picture.get_attribute("alt") == ("Зоны голосования на карте, пронумерованные так же, "
                                                          "как кнопки ниже.")
            await page.get_by_role("button", name="4. Северная поляна").click()
            await page.get_by_text("Спасибо, ваш голос учтён!").wait_for()
        assert await tally(world) == {"glade": 1}
