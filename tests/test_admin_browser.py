"""The staff panel in a real browser (Playwright driving Debian's headless Chromium): a member of
staff logs in, answers a resident's proposal and the answer reaches the resident's web chat,
downloads an export and opens it, and sends a broadcast whose live progress bar fills up; and the
exports and logs speak the official's words: channels by title, «принято в проект» and a real
date on the town's clock in the spreadsheet, «Рассылка создана» in the audit log."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import openpyxl
import pytest

from admin.auth import create_account
from bot.localtime import LocalTime
from tests.browser import STAFF_PASSWORD as PASSWORD, log_in, needs_chromium, playwright_api, staff_browser
from tests.drivers import eventually
from tests.drivers.webchat import world as webchat_world
from tests.journey import all_text, onboard, propose

pytestmark = needs_chromium


@pytest.fixture
async def world(tmp_path):
    async with webchat_world(tmp_path) as running:
        yield running


@pytest.fixture
async def page(world):
    async with staff_browser(accept_downloads=True) as opened:
        yield opened


async def test_staff_moderate_export_and_broadcast_in_a_browser(world, page, tmp_path):
    base = f"http://127.0.0.1:{world.app.port}"
    resident = world.resident()
    await onboard(resident)
    receipt = await propose(resident, text="Поставить скамейки у пруда и фонарь", photo=False)
    await create_account(world.app.db, "ольга", "admin", PASSWORD, personal_data=True)

    await page.goto(base + "/admin/")
    assert page.url.startswith(base + "/admin/login")
    await log_in(page, base, "ольга")

    await page.goto(f"{base}/admin/proposals/{receipt.removeprefix('П-')}")
    await page.fill("#answer textarea[name=text]", "Спасибо! Скамейки у пруда поставим весной.")
    await page.click("#answer button[type=submit]")
    await page.wait_for_selector("text=Отправлено автору.")
    answered = await eventually(resident.later)
    assert "Скамейки у пруда поставим весной" in all_text(answered)

    await page.goto(base + "/admin/exports")
    await page.select_option("#export-form select[name=format]", "csv")
    async with page.expect_download() as started:
        await page.click("#export-form button[type=submit]")
    download = await started.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    assert saved.name == "proposals.csv"
    header, *rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert [row[header.index("Текст")] for row in rows] == ["Поставить скамейки у пруда и фонарь"]

    await page.goto(base + "/admin/broadcasts")
    await page.fill("input[name=title]", "Субботник")
    await page.fill("textarea[name=text_ru]", "{{ name }}, приходите в субботу на субботник в парке!")
    await page.click("button[name=action][value=preview]")
    await page.wait_for_selector("#audience-count")
    assert await page.inner_text("#audience-count") == "1"
    await page.click("button[name=action][value=send]")
    await page.wait_for_selector("text=Рассылка №")
    # The bar is refreshed by the page's script, not by reloading: wait for it to fill up.
    await playwright_api.expect(page.locator("#progress-sent")).to_have_text("1")
    await playwright_api.expect(page.locator("#progress-status")).to_have_text("завершена")
    assert await page.eval_on_selector("#progress-bar", "bar => bar.value === bar.max")
    broadcast = await eventually(resident.later)
    assert "приходите в субботу на субботник" in all_text(broadcast)


async def test_an_official_exports_and_reads_the_log_in_the_panels_words(world, page, tmp_path):
    base = f"http://127.0.0.1:{world.app.port}"
    resident = world.resident()
    await onboard(resident)
    receipt = await propose(resident, text="Поставить скамейки у пруда и фонарь", photo=False)
    number = int(receipt.removeprefix("П-"))
    async with world.app.db.transaction() as tx:
        await tx.moderation.set_status(number, "accepted", "ольга")
    await create_account(world.app.db, "ольга", "admin", PASSWORD, personal_data=True)

    await log_in(page, base, "ольга")

    await page.goto(base + "/admin/exports")
    await page.select_option("#export-form select[name=format]", "xlsx")
    await page.select_option("#export-form select[name=channel]", label="веб-чат")
    async with page.expect_download() as started:
        await page.click("#export-form button[type=submit]")
    download = await started.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    sheet = openpyxl.load_workbook(saved)["Предложения"]
    header = [cell.value for cell in sheet[1]]
    [row] = [{name: cell.value for name, cell in zip(header, cells)} for cells in sheet.iter_rows(min_row=2)]
    assert (row["Номер"], row["Статус"], row["Канал"], row["Категория"]) == (
        receipt, "принято в проект", "веб-чат", "Идея для парка")
    sent = row["Создано (UTC+9)"]
    local_now = LocalTime(world.app.settings.project.time_zone).naive(datetime.now().astimezone())
    assert isinstance(sent, datetime) and abs(local_now - sent) < timedelta(hours=1), "the town's wall time"

    await page.goto(base + "/admin/broadcasts")
    await page.fill("input[name=title]", "Субботник")
    await page.fill("textarea[name=text_ru]", "Приходите в субботу на субботник в парке!")
    await page.get_by_label("веб-чат").check()
    await page.click("button[name=action][value=send]")
    await page.wait_for_selector("text=Рассылка №")
    assert "каналы: веб-чат" in await page.inner_text("main")

    await page.goto(base + "/admin/audit")
    await page.select_option("select[name=action]", label="Рассылка создана")
    await page.click("form.filters button[type=submit]")
    rows = await page.inner_text("tbody")
    assert "Рассылка создана" in rows and "получателей: 1; отправка: сейчас" in rows
    assert "broadcast" not in rows and "Выгрузка" not in rows
