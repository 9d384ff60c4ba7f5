"""The chat page in a real browser under its own Content-Security-Policy: it works, it never puts
the session in an address, and a refusal over a limit is shown in the chat."""
from __future__ import annotations

from tests.browser import ARGS, CHROMIUM, needs_chromium, playwright_api
from tests.drivers.webchat import world as webchat_world

pytestmark = needs_chromium


async def test_the_page_works_under_its_policy_keeps_the_session_out_of_addresses_and_shows_a_refusal(tmp_path):
    async with webchat_world(tmp_path, SOUCHASTIE_WEBCHAT_MESSAGES_PER_MINUTE_PER_SESSION="3") as world:
        async with playwright_api.async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
            try:
                context = await browser.new_context(locale="ru-RU")
                context.set_default_timeout(15_000)
                page = await context.new_page()
                console, addresses = [], []
                page.on("console", lambda message: console.append(message.text))
                page.on("request", lambda request: addresses.append(request.url))
                await page.goto(f"http://127.0.0.1:{world.app.port}/chat")
                # message 2 (/start was 1); the browser says Russian, so no language is asked
                await page.get_by_role("button", name="✅ Согласен(на)").click()
                await page.get_by_text("Главное меню").last.wait_for()
                for text in ("первое", "второе"):                                # 3, then 4: over the limit
                    await page.fill("#text", text)
                    await page.press("#text", "Enter")
                notice = page.locator("li.notice")
                await notice.wait_for()
                assert "Подождите" in await notice.inner_text()
                assert not [line for line in console if "Content Security Policy" in line]
                api = [url for url in addresses if "/api/webchat/messages" in url]
                assert api and not [url for url in api if "session" in url]
            finally:
                await browser.close()
