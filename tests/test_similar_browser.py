"""Merging a duplicate in a real browser (Playwright driving Debian's headless Chromium): a
moderator opens the newer of two proposals that ask for the same, sees the older one among the
likely duplicates with its similarity, clicks «Объединить», and the author of the newer one is
told in their web chat."""
from __future__ import annotations

from pathlib import Path

import pytest

from admin.auth import create_account
from tests.drivers import eventually
from tests.drivers.webchat import world as webchat_world
from tests.journey import all_text, onboard, propose

playwright_api = pytest.importorskip("playwright.async_api")
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PASSWORD = "a long browser password"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason=".ci/run installs Debian's chromium")


async def test_a_moderator_merges_a_duplicate_in_one_click(tmp_path):
    async with webchat_world(tmp_path) as world:
        base = f"http://127.0.0.1:{world.app.port}"
        first_author, second_author = world.resident(1), world.resident(2)
        for resident in (first_author, second_author):
            await onboard(resident)
        older = int((await propose(first_author, "Поставить лавочки у пруда, негде присесть", photo=False,
                                   point=None)).removeprefix("П-"))
        newer = int((await propose(second_author, "Нужны скамейки возле пруда, присесть негде", photo=False,
                                   point=None)).removeprefix("П-"))
        await create_account(world.app.db, "мила", "moderator", PASSWORD)
        async with playwright_api.async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
            try:
                page = await (await browser.new_context(locale="ru-RU")).new_page()
                page.set_default_timeout(15_000)
                await page.goto(base + "/admin/login")
                await page.fill("input[name=username]", "мила")
                await page.fill("input[name=password]", PASSWORD)
                await page.click("form[action='/admin/login'] button[type=submit]")
                await page.wait_for_selector("text=Здравствуйте, мила")

                await page.goto(f"{base}/admin/proposals/{newer}")
                row = page.locator("table.duplicates tbody tr", has_text=f"П-{older}")
                await playwright_api.expect(row).to_contain_text("%")
                await row.locator("button", has_text="Объединить").click()
                await page.wait_for_selector("text=Объединено")
                await playwright_api.expect(page.locator("h1 .status")).to_have_text("дубликат (объединено)")
            finally:
                await browser.close()
        told = all_text(await eventually(second_author.later))
        assert f"П-{newer} объединено с похожим — П-{older}" in told
        assert await world.app.db.reader.supports.count(older) == 1  # the newer one's author
