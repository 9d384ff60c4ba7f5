"""Search by lemmas in a real browser (Playwright driving Debian's headless Chromium): a member of
staff types «скамейка» into the proposal list's search field and into the statistics page's
search of survey answers, and finds what residents wrote as «скамейки» and «скамеек»."""
from __future__ import annotations

from pathlib import Path

import pytest

from admin.auth import create_account
from tests.drivers import load_content_into
from tests.drivers.webchat import world as webchat_world
from tests.journey import onboard, propose
from tests.test_search import CONTENT, answer_survey

playwright_api = pytest.importorskip("playwright.async_api")
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PASSWORD = "a long browser password"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=".ci/run installs Debian's chromium")


@pytest.fixture
async def world(tmp_path):
    async with webchat_world(tmp_path) as running:
        yield running


@pytest.fixture
async def page(world):
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            context = await browser.new_context(locale="ru-RU")
            context.set_default_timeout(15_000)
            yield await context.new_page()
        finally:
            await browser.close()


async def test_staff_find_benches_in_proposals_and_survey_answers_by_typing_one_form(world, page):
    base = f"http://127.0.0.1:{world.app.port}"
    await load_content_into(world.app, CONTENT / "survey.yaml")
    resident, other = world.resident(), world.resident()
    await onboard(resident)
    await onboard(other)
    receipt = await propose(resident, text="Поставить скамейки у пруда", photo=False, point=None)
    unrelated = await propose(other, text="Фонтан у библиотеки", photo=False, point=None)
    await answer_survey(world, resident, "Далеко идти, и нет скамеек")
    await create_account(world.app.db, "ольга", "admin", PASSWORD)

    await page.goto(base + "/admin/login")
    await page.fill("input[name=username]", "ольга")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("form[action='/admin/login'] button[type=submit]")
    await page.wait_for_selector("text=Здравствуйте, ольга")

    await page.goto(base + "/admin/proposals")
    await page.fill("form.filters input[name=q]", "скамейка")
    await page.click("form.filters button[type=submit]")
    await page.wait_for_selector("text=найдено: 1")
    table = await page.inner_text("table")
    assert receipt in table and "Поставить скамейки у пруда" in table and unrelated not in table

    await page.goto(base + "/admin/stats")
    await page.fill("form[action='/admin/stats/texts'] input[name=q]", "скамейка")
    await page.click("form[action='/admin/stats/texts'] button[type=submit]")
    await page.wait_for_selector("text=Далеко идти, и нет скамеек")
    assert "/admin/stats/texts?q=" in page.url
    assert "Почему вы не ходите в парк?" in await page.inner_text("main")
