"""Merging a duplicate in a real browser (Playwright driving Debian's headless Chromium): a
moderator opens the newer of two proposals that ask for the same, sees the older one among the
likely duplicates with its similarity, clicks «Объединить», and the author of the newer one is
told in their web chat."""
from __future__ import annotations

from admin.auth import create_account
from tests.browser import STAFF_PASSWORD as PASSWORD, log_in, needs_chromium, playwright_api, staff_browser
from tests.drivers import eventually
from tests.drivers.webchat import world as webchat_world
from tests.journey import all_text, onboard, propose

pytestmark = needs_chromium


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
        async with staff_browser() as page:
            await log_in(page, base, "мила")

            await page.goto(f"{base}/admin/proposals/{newer}")
            row = page.locator("table.duplicates tbody tr", has_text=f"П-{older}")
            await playwright_api.expect(row).to_contain_text("%")
            await row.locator("button", has_text="Объединить").click()
            await page.wait_for_selector("text=Объединено")
            await playwright_api.expect(page.locator("h1 .status")).to_have_text("дубликат (объединено)")
        told = all_text(await eventually(second_author.later))
        assert f"П-{newer} объединено с похожим — П-{older}" in told
        assert await world.app.db.reader.supports.count(older) == 1  # the newer one's author
