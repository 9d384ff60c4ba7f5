"""The panel's pages in a real browser stay true to what happens behind them (issue 13, points 3,
4 and 9): Playwright driving Debian's headless Chromium against the running bot.

A broadcast that finishes while its page is open loses «Пауза» and «Отменить» and shows 100 %
without a reload; its page shows the stored template beside the text a resident gets from it.
The proposals list marks a proposal that waits for its author's correction. On a 360-pixel phone
the list's filters are folded (open when one is in force) and the first card is on the first
screen with each value under its column's name; on a wide screen the filters are open. The
site's icon is where the pages say it is.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from broadcasts import outbox
from broadcasts.audience import Audience
from tests.browser import log_in, needs_chromium, staff_browser
from tests.drivers import eventually
from tests.drivers.panel import StaffBrowser, make_staff
from tests.drivers.webchat import world as webchat_world
from tests.journey import all_text, onboard, propose

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 640}
BADGE = "ждёт исправления автора"
IDEAS = ["Поставить скамейки у пруда и фонарь", "Сделать каток зимой на стадионе",
         "Посадить липы вдоль аллеи к школе", "Починить горку на детской площадке"]

# One Chromium for the module (a context of its own for each test), on the module's event loop.
pytestmark = [needs_chromium, pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("one_chromium")]


def browser_page(viewport: dict[str, int], phone: bool = False):
    return staff_browser(viewport=viewport, is_mobile=phone, has_touch=phone, device_scale_factor=2 if phone else 1)


async def proposals_with_one_awaiting_correction(w) -> tuple[list[str], str]:
    """Four residents' proposals (receipts, oldest first); a moderator asks the first one's
    author, through the panel, to correct it. Returns the receipts and the one asked about."""
    receipts, authors = [], []
    for idea in IDEAS:
        authors.append(w.resident())
        await onboard(authors[-1])
        receipts.append(await propose(authors[-1], idea, photo=False, point=None))
    async with StaffBrowser.of(w.app) as mila:
        await mila.login("mila")
        await mila.post(f"/admin/proposals/{receipts[0].split('-')[1]}/question", {"question": "Какой именно пруд?"})
    assert "Какой именно пруд?" in all_text(await eventually(authors[0].later))
    return receipts, receipts[0]


async def test_a_broadcast_finishing_while_its_page_is_open_loses_pause_and_cancel_and_shows_100(tmp_path):
    async with webchat_world(tmp_path) as w:
        for _ in range(2):
            await onboard(w.resident())
        await make_staff(w.app, "sveta", "staff")
        spec = outbox.BroadcastSpec(title="Субботник", texts={"ru": "Здравствуйте, {{ name }}! Ждём на субботнике."},
                                    audience=Audience(), send_at=datetime.now(timezone.utc) + timedelta(hours=1))
        broadcast_id, _ = await outbox.create(w.app.db, spec, created_by="sveta")
        async with browser_page(DESKTOP) as page:
            await log_in(page, w.base, "sveta")
            await page.goto(f"{w.base}/admin/broadcasts/{broadcast_id}")
            pause = page.get_by_role("button", name="Пауза", exact=True)
            cancel = page.get_by_role("button", name="Отменить", exact=True)
            await expect(pause).to_be_visible()
            await expect(cancel).to_be_visible()
            await expect(page.locator("#progress-percent")).to_have_text("0")
            # The stored template and, beside it, what a resident called Анна gets from it.
            await expect(page.locator(".template-source")).to_have_text("Здравствуйте, {{ name }}! Ждём на субботнике.")
            await expect(page.locator(".template-example")).to_have_text("Здравствуйте, Анна! Ждём на субботнике.")

            async with w.app.db.transaction() as tx:  # its time comes, as the scheduler's tick would find
                assert await tx.broadcasts.start_due((datetime.now(timezone.utc) + timedelta(hours=2)).isoformat())
            await expect(page.locator("#progress-status")).to_have_text("завершена")
            await expect(page.locator("#progress-percent")).to_have_text("100")
            await expect(page.locator("#progress-sent")).to_have_text("2")
            await expect(pause).to_be_hidden()
            await expect(cancel).to_be_hidden()
            assert await page.locator("#controls button:visible").count() == 0


async def test_the_list_shows_which_proposal_waits_for_its_authors_correction(tmp_path):
    async with webchat_world(tmp_path) as w:
        await make_staff(w.app, "mila", "moderator")
        receipts, waiting = await proposals_with_one_awaiting_correction(w)
        async with browser_page(DESKTOP) as page:
            await log_in(page, w.base, "mila")
            await page.goto(w.base + "/admin/proposals")
            rows = {receipt: page.locator("tbody tr").filter(has=page.get_by_role("link", name=receipt, exact=True))
                    for receipt in receipts}
            await expect(rows[waiting].get_by_text(BADGE)).to_be_visible()
            for receipt in receipts[1:]:
                await expect(rows[receipt].get_by_text(BADGE)).to_have_count(0)
            # On a wide screen the filters are open, the new one among them.
            await expect(page.locator("input[name=q]")).to_be_visible()
            await page.get_by_label("ждут исправления автора").check()
            await page.get_by_role("button", name="Показать").click()
            await expect(page.locator("tbody tr")).to_have_count(1)
            await expect(page.locator("tbody tr").get_by_role("link", name=waiting, exact=True)).to_be_visible()

            for href in await page.eval_on_selector_all("link[rel=icon]", "links => links.map(l => l.href)"):
                icon = await page.request.get(href)
                assert icon.status == 200 and icon.headers["content-type"].startswith("image/"), href
            icon = await page.request.get(w.base + "/favicon.ico")
            assert icon.status == 200 and icon.headers["content-type"].startswith("image/")


async def test_on_a_360_pixel_phone_the_filters_fold_and_the_first_card_keeps_its_labels(tmp_path):
    async with webchat_world(tmp_path) as w:
        await make_staff(w.app, "mila", "moderator")
        receipts, _ = await proposals_with_one_awaiting_correction(w)
        async with browser_page(PHONE, phone=True) as page:
            await log_in(page, w.base, "mila")
            await page.goto(w.base + "/admin/proposals")
            await expect(page.get_by_text("Фильтры", exact=True)).to_be_visible()
            await expect(page.locator("input[name=q]")).to_be_hidden()
            first = page.locator("tbody tr").first
            newest = first.get_by_role("link", name=receipts[-1], exact=True)
            await expect(newest).to_be_in_viewport()
            box = await first.locator("td[data-label='Текст']").bounding_box()
            assert box["y"] + box["height"] <= PHONE["height"], box  # the idea itself is on the first screen
            labels = await first.locator("td").evaluate_all(
                "cells => cells.map(c => [c.dataset.label, getComputedStyle(c, '::before').content])")
            shown = {label: content for label, content in labels}
            for label in ("№", "Дата", "Раздел", "Текст", "Статус", "Канал, источник"):
                assert shown[label] == f'"{label}: "', shown

            # A filter in force: the fold is open, showing what is filtered.
            await page.goto(w.base + "/admin/proposals?correction=1")
            await expect(page.get_by_text("Фильтры (1)", exact=True)).to_be_visible()
            await expect(page.locator("input[name=q]")).to_be_visible()
            await page.get_by_text("Фильтры (1)", exact=True).click()  # and folds on a tap
            await expect(page.locator("input[name=q]")).to_be_hidden()
