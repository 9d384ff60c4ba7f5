"""«Конкурсные работы» in a real browser on a phone (Playwright driving Debian's headless Chromium
at 390×844 with touch): a moderator opens the page from the menu, sees the waiting works with
their photos, approves one and rejects one with a reason, and each author reads the answer in
their web chat; the results go to the subscribers as a broadcast whose bar fills up; someone who
may not moderate is refused, and so is a POST without the session's token."""
from __future__ import annotations

import pytest

from admin.auth import create_account
from tests.browser import PHONE, chromium, needs_chromium  # noqa: E402  (after the skip)
from tests.drivers import eventually, load_content_into
from tests.drivers.webchat import world as webchat_world
from tests.journey import all_text, onboard
from tests.test_contests import CONTENT, enter

playwright_api = pytest.importorskip("playwright.async_api")

PASSWORD = "a long browser password"
pytestmark = needs_chromium


@pytest.fixture
async def world(tmp_path):
    async with webchat_world(tmp_path) as running:
        await load_content_into(running.app, CONTENT)
        yield running


@pytest.fixture
async def browser():
    async with chromium() as launched:
        yield launched


async def phone_page(browser, base: str, username: str):
    context = await browser.new_context(locale="ru-RU", viewport=PHONE, has_touch=True, is_mobile=True)
    context.set_default_timeout(15_000)
    page = await context.new_page()
    await page.goto(base + "/admin/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.tap("form[action='/admin/login'] button[type=submit]")
    await page.wait_for_selector(f"text=Здравствуйте, {username}")
    return page


async def test_a_moderator_approves_and_rejects_works_on_a_phone_and_sends_the_results(world, browser):
    base = f"http://127.0.0.1:{world.app.port}"
    painter, writer, fan = world.resident(), world.resident(), world.resident()
    for resident in (painter, writer, fan):
        await onboard(resident)
    drawing = await enter(painter, text="Парк с озером и каруселью")
    essay = await enter(writer, category="essay", text="Сочинение про старые качели")
    await fan.press("menu:subscriptions")
    await fan.press("sub:results")
    await create_account(world.app.db, "ольга", "admin", PASSWORD, personal_data=False)
    await create_account(world.app.db, "олег", "staff", PASSWORD, personal_data=False)

    page = await phone_page(browser, base, "ольга")
    await page.tap("header nav >> text=Конкурсные работы")
    await page.wait_for_selector("text=ждут проверки: 2")
    await page.tap("text=Парк моей мечты")
    card = page.locator(f"#work-{drawing}")
    await playwright_api.expect(card).to_contain_text("Парк с озером и каруселью")
    await playwright_api.expect(card).to_contain_text("Рисунок")
    await playwright_api.expect(card).to_contain_text("10–13 лет")
    photo = card.locator("img")
    await playwright_api.expect(photo).to_be_visible()
    assert await photo.evaluate("image => image.complete && image.naturalWidth > 0")
    approve = card.get_by_role("button", name="Одобрить")
    box = await approve.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 0.8 * (await card.bounding_box())["width"]  # a thumb's target

    await approve.tap()
    await page.wait_for_selector("text=Решение записано, автору отправлено уведомление.")
    await playwright_api.expect(page.locator(f"#work-{drawing}")).to_have_count(0)
    told = all_text(await eventually(painter.later))
    assert f"Ваша работа №{drawing} на конкурс «Парк моей мечты» прошла проверку" in told

    reason = "Сочинение прислано как рисунок — пришлите его в номинацию «Сочинение»."
    other = page.locator(f"#work-{essay}")
    await other.locator("textarea[name=reason]").fill(reason)
    await other.get_by_role("button", name="Отклонить").tap()
    await page.wait_for_selector("text=Все работы проверены")
    answer = all_text(await eventually(writer.later))
    assert f"Ваша работа №{essay} на конкурс «Парк моей мечты» не принята. Причина: {reason}" in answer

    await page.tap("nav.tabs >> text=Отклонены")
    await playwright_api.expect(page.locator(f"#work-{essay}")).to_contain_text(f"Причина: {reason}")

    await page.tap("#results button[type=submit]")
    await page.wait_for_selector("text=Рассылка №")
    # The fan follows «results»; both entrants learn the results too (issue 16): three.
    await playwright_api.expect(page.locator("#progress-sent")).to_have_text("3")
    results = all_text(await eventually(fan.later))
    assert "Итоги конкурса «Парк моей мечты»:" in results
    assert f"1. Работа №{drawing} (10–13 лет) — голосов: 0" in results

    await page.goto(base + "/admin/audit")
    for action in ("Конкурсная работа одобрена", "Конкурсная работа отклонена", "Итоги конкурса разосланы"):
        await playwright_api.expect(page.locator("main")).to_contain_text(action)

    viewer = await phone_page(browser, base, "олег")
    await viewer.goto(f"{base}/admin/contests/drawings?status=approved")
    await playwright_api.expect(viewer.locator(f"#work-{drawing}")).to_be_visible()
    await playwright_api.expect(viewer.get_by_role("button", name="Отклонить")).to_have_count(0)
    token = await viewer.locator("input[name=csrf]").first.get_attribute("value")
    refused = await viewer.request.post(f"{base}/admin/contests/works/{drawing}/reject",
                                        form={"csrf": token, "reason": "нет"}, max_redirects=0)
    assert refused.status == 403
    forged = await page.request.post(f"{base}/admin/contests/works/{drawing}/reject",
                                     form={"reason": "без токена"}, max_redirects=0)
    assert forged.status == 403
    assert (await world.app.db.reader.contests.entry(drawing)).status == "approved"
    # The painter heard the results as an entrant, and no rejection: the refused posts changed nothing.
    assert "не принята" not in all_text(await painter.later())
