"""The public page in a real browser (Playwright driving Debian's headless Chromium, the map's
tiles from a stub on loopback): a moderator publishes a proposal with «Опубликовать», and anyone
then sees it in the list and as a marker on the map, under the page's own CSP; axe-core finds no
serious or critical accessibility violation; the city's site shows the page in a frame only when
``public.embed_origins`` names it."""
from __future__ import annotations

import json
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

import pytest
from aiohttp import web

from tests.browser import (
    STAFF_PASSWORD as PASSWORD,
    chromium,
    log_in,
    needs_chromium,
    playwright_api,
    staff_browser,
    tile_server,
)
from tests.drivers import CAMPAIGN, eventually, load_content_into
from tests.drivers.panel import make_staff
from tests.drivers.webchat import world as webchat_world
from tests.journey import onboard, propose

pytestmark = [needs_chromium, pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("one_chromium")]
AXE = Path(__file__).resolve().parent / "fixtures" / "vendor" / "axe-core" / "axe.min.js"
PLACE = (50.0958, 118.0317)


@asynccontextmanager
async def visitor(**options: Any) -> AsyncIterator[Any]:
    """A page in a Russian-speaking desktop Chromium, as a visitor of the city's site."""
    async with chromium() as browser:
        context = await browser.new_context(locale="ru-RU", viewport={"width": 1200, "height": 900}, **options)
        try:
            context.set_default_timeout(15_000)
            page = await context.new_page()
            page.errors = []
            page.on("pageerror", lambda error: page.errors.append(str(error)))
            yield page
        finally:
            await context.close()


async def violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations of the page as it stands (WCAG 2.1 A and AA and
    axe's best practices). axe comes in through the DevTools protocol, as an extension would, so
    the page's own CSP stays on."""
    await page.evaluate(AXE.read_text(encoding="utf-8"))
    result = await page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'tag', values:"
        " ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))")
    return [v for v in result if v["impact"] in ("serious", "critical")]


async def test_a_published_proposal_is_in_the_list_and_on_the_map_and_the_page_passes_axe(tmp_path):
    async with tile_server() as tiles:
        async with webchat_world(tmp_path, SOUCHASTIE_WEBCHAT_MAP_TILES_URL=tiles.template) as world:
            await load_content_into(world.app, CAMPAIGN)  # its map poll's places are on the map too
            resident = world.resident()
            await onboard(resident)
            receipt = await propose(resident, text="Качели у пруда для малышей", photo=False, point=PLACE)
            proposal_id = int(receipt.rsplit("-", 1)[1])
            await make_staff(world.app, "мила", "moderator", password=PASSWORD)
            async with staff_browser() as staff:
                await log_in(staff, world.base, "мила")
                await staff.goto(f"{world.base}/admin/proposals/{proposal_id}")
                await staff.fill("#publish textarea[name=answer]", "Качели поставим весной")
                await staff.click("#publish button[value='1']")
                await staff.wait_for_selector("text=Опубликовано: предложение видно")

            async with visitor() as page:
                await page.goto(f"{world.base}/public")
                item = page.locator("ol.proposals > li", has_text=receipt)
                await playwright_api.expect(item).to_contain_text("Качели у пруда для малышей")
                await playwright_api.expect(item).to_contain_text("Качели поставим весной")
                marker = page.locator(f"#map .leaflet-marker-icon[alt^='{receipt} ']")
                await playwright_api.expect(marker).to_be_visible()
                await marker.click()
                await playwright_api.expect(page.locator(".leaflet-popup-content")).to_contain_text(receipt)
                await page.locator("#map .leaflet-tile-loaded").first.wait_for(state="attached")
                assert tiles.asked, "the map asked for no tile"
                # The open map poll's five places, labelled as the bot numbers them.
                await playwright_api.expect(page.locator("#map .zone-label")).to_have_count(5)
                await playwright_api.expect(page.locator("#map .zone-label").nth(2)).to_have_text("3. Берег пруда")
                assert page.errors == []
                assert await violations(page) == []

                await page.select_option("#category", "problem")
                await page.click("form.filters button[type=submit]")
                await page.wait_for_url("**/public?category=problem&status=")
                await playwright_api.expect(page.locator("ol.proposals > li")).to_have_count(0)
                await playwright_api.expect(page.locator("#map .leaflet-marker-icon")).to_have_count(0)


@asynccontextmanager
async def city_site() -> AsyncIterator[dict[str, Any]]:
    """The city's own site on another origin (another port), a page with the public page in a frame."""
    site: dict[str, Any] = {"bot": ""}

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=f'<!doctype html><html lang="ru"><title>Город</title><h1>Сайт города</h1>'
                                 f'<iframe id="ideas" title="Идеи жителей" src="{site["bot"]}/public"'
                                 f' width="1000" height="800"></iframe>', content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    runner = web.AppRunner(app)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    site["origin"] = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield site
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("named", [True, False])
async def test_the_city_site_shows_the_page_in_a_frame_only_when_named(tmp_path, named):
    async with city_site() as site:
        origins = json.dumps(["self", site["origin"]] if named else ["self"])
        async with webchat_world(tmp_path, SOUCHASTIE_PUBLIC_EMBED_ORIGINS=origins,
                                 SOUCHASTIE_WEBCHAT_MAP_TILES_URL="''") as world:
            site["bot"] = world.base
            async with visitor() as page:
                blocked: list[str] = []
                page.on("console", lambda message: blocked.append(message.text)
                        if "frame-ancestors" in message.text else None)
                await page.goto(site["origin"] + "/")
                frame = page.frame_locator("#ideas")
                if named:
                    await playwright_api.expect(frame.locator("h1")).to_have_text("Что стало с идеями жителей")
                    assert blocked == []
                else:  # Chromium refuses it, says why, and shows its own error page in the frame
                    await eventually(lambda: blocked)
                    assert "frame-ancestors 'self'" in blocked[0]
                    await frame.locator("body").wait_for(state="attached")
                    await playwright_api.expect(frame.locator("text=Что стало с идеями жителей")).to_have_count(0)
