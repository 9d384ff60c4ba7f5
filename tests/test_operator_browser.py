"""Operator entry in a real browser (Playwright driving Debian's headless Chromium): an operator
at a reception point picks the point and the source from lists, types the author's phone, is
stopped until the author's consent is ticked, and the author gets the receipt by SMS."""
from __future__ import annotations

import pytest

from admin.auth import create_account
from tests.browser import STAFF_PASSWORD as PASSWORD, log_in, needs_chromium, staff_browser
from tests.drivers import eventually
from tests.drivers.webchat import world as webchat_world
from tests.fakes.sms import FakeSmsGateway

pytestmark = needs_chromium


@pytest.fixture
async def sms():
    fake = await FakeSmsGateway().start()
    yield fake
    await fake.close()


@pytest.fixture
async def world(tmp_path, sms):
    async with webchat_world(tmp_path, **sms.environment("smsru")) as running:
        yield running


@pytest.fixture
async def page(world):
    async with staff_browser() as opened:
        yield opened


async def test_an_operator_enters_a_proposal_taken_at_a_reception_point_and_the_author_gets_an_sms(
        world, page, sms):
    base = f"http://127.0.0.1:{world.app.port}"
    await create_account(world.app.db, "мила", "moderator", PASSWORD)
    await log_in(page, base, "мила")

    await page.goto(base + "/admin/operator")
    assert "придёт SMS" in await page.inner_text("#sms-state")
    await page.select_option("select[name=source]", label="в пункте приёма")
    await page.select_option("select[name=point]", label="Детский парк культуры и отдыха")
    await page.fill("textarea[name=text]", "Поставить навес над песочницей у входа")
    await page.fill("input[name=author_name]", "Мария Ивановна")
    await page.fill("input[name=author_phone]", "8 (914) 123-45-67")
    await page.click("form[action='/admin/operator'] button[type=submit]")
    await page.wait_for_selector("text=только с его согласия")
    assert await page.input_value("select[name=point]") == "park"  # the form keeps what was chosen
    assert await page.input_value("input[name=author_phone]") == "8 (914) 123-45-67"

    await page.check("input[name=consent]")
    await page.click("form[action='/admin/operator'] button[type=submit]")
    await page.wait_for_selector("text=Автору отправлено SMS")
    number = page.url.split("/admin/proposals/")[1].split("?")[0]
    assert "Детский парк культуры и отдыха" in await page.content()
    received = await eventually(lambda: sms.to("+79141234567"))
    assert received[0].text.startswith(f"Ваше предложение П-{number} принято")
