"""Local times in a real browser (Playwright, Debian's headless Chromium): the list shows a
proposal at the town's hour with the zone named, and a broadcast set for 10:00 in the
browser's own date-and-time field goes out at 10:00 in the town (01:00 UTC in Chita)."""
from __future__ import annotations

from datetime import datetime, timezone

from admin.auth import create_account
from tests.browser import STAFF_PASSWORD as PASSWORD, log_in, needs_chromium, staff_browser
from tests.drivers.webchat import world as webchat_world
from tests.test_local_times import SENT, TEXT, store_proposal_at

pytestmark = needs_chromium


async def test_staff_read_and_type_times_on_the_towns_clock_in_a_browser(tmp_path):
    async with webchat_world(tmp_path) as world:
        await store_proposal_at(world.app, SENT)
        await create_account(world.app.db, "ольга", "admin", PASSWORD)
        # A browser in Moscow: what it shows is still the town's time, not the browser's.
        async with staff_browser(timezone_id="Europe/Moscow") as page:
            base = f"http://127.0.0.1:{world.app.port}"
            await log_in(page, base, "ольга")

            await page.goto(base + "/admin/proposals")
            row = page.locator("tr", has_text=TEXT)
            assert await row.locator("time").inner_text() == "02.12.2026 06:20"
            assert await row.locator("time").get_attribute("datetime") == "2026-12-01T21:20:00Z"
            assert await page.locator("footer").inner_text() == "Время местное: UTC+9 (Asia/Chita)"

            await page.goto(base + "/admin/broadcasts")
            await page.fill("input[name=title]", "Субботник")
            await page.fill("textarea[name=text_ru]", "Приходите в субботу на субботник в парке!")
            await page.fill("input[name=send_at]", "2027-06-10T10:00")
            await page.click("button[name=action][value=send]")
            await page.wait_for_selector("text=Отправка:")
            assert await page.locator("p", has_text="Отправка:").locator("time").last.inner_text() == "10.06.2027 10:00"
            [stored] = await world.app.db.reader.broadcasts.recent(5)
            assert datetime.fromisoformat(stored.send_at) == datetime(2027, 6, 10, 1, 0, tzinfo=timezone.utc)
