"""Search by lemmas in a real browser (Playwright driving Debian's headless Chromium): a member of
staff types «скамейка» into the proposal list's search field and into the statistics page's
search of survey answers, and finds what residents wrote as «скамейки» and «скамеек»."""
from __future__ import annotations

import pytest

from admin.auth import create_account
from tests.browser import STAFF_PASSWORD as PASSWORD, log_in, needs_chromium, staff_browser
from tests.drivers import load_content_into
from tests.drivers.webchat import world as webchat_world
from tests.journey import onboard, propose
from tests.test_search import CONTENT, answer_survey

pytestmark = needs_chromium


@pytest.fixture
async def world(tmp_path):
    async with webchat_world(tmp_path) as running:
        yield running


@pytest.fixture
async def page(world):
    async with staff_browser() as opened:
        yield opened


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

    await log_in(page, base, "ольга")

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
