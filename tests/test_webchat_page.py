"""The chat page on a 390×844 phone, as a 70-year-old uses it (issue 12): a labelled button adds
a photo where one is asked, a map served with the page points at the place, the page reads and
speaks the browser's language, the receipt stays in view, a faded button says why, every button
is large and only one at a time says «send». Chromium under the page's own CSP, the shipped
campaign loaded, the map's tiles from a stub server on loopback."""
from __future__ import annotations

import json
import math
from urllib.parse import urlsplit

import pytest

from storage.moderation import ProposalFilter
from tests.browser import IDEA, Phone, chat_with_map, needs_chromium, phone_browser
from tests.journey import JPEG, same_picture

# One Chromium for the module (a context of its own for each test), on the module's event loop.
pytestmark = [needs_chromium, pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("one_chromium")]
TILE = 256


async def stored_proposals(world) -> list[dict]:
    return [row async for rows in world.app.db.reader.exports.proposals(ProposalFilter(), personal=True)
            for row in rows]


async def live_has(phone: Phone, word: str) -> bool:
    return word in await phone.live_buttons()


async def visible_buttons(page) -> list[dict]:
    """Every button on screen now (the map's zoom controls too): its text, name and size."""
    return await page.evaluate("""() => {
        const height = window.innerHeight;
        return Array.from(document.querySelectorAll('button, .leaflet-bar a')).map((el) => {
            const box = el.getBoundingClientRect();
            return {text: el.innerText.trim(), label: el.getAttribute('aria-label') || '',
                    enabled: !el.disabled, width: box.width, height: box.height,
                    shown: box.width > 0 && box.bottom > 0 && box.top < height
                           && getComputedStyle(el).visibility !== 'hidden'};
        }).filter((b) => b.shown);
    }""")


def mercator(latitude: float, longitude: float, zoom: int) -> tuple[float, float]:
    size = TILE * 2 ** zoom
    return ((longitude + 180) / 360 * size,
            (1 - math.asinh(math.tan(math.radians(latitude))) / math.pi) / 2 * size)


def from_mercator(x: float, y: float, zoom: int) -> tuple[float, float]:
    size = TILE * 2 ** zoom
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / size)))), x / size * 360 - 180


async def test_where_a_photo_is_asked_a_labelled_button_opens_the_picker_and_the_photo_is_kept(tmp_path):
    async with chat_with_map(tmp_path) as (world, _), phone_browser(world) as page:
        phone = Phone(page, world, "ru")
        await phone.open()
        assert await page.get_by_role("button", name=phone.word("add_photo")).count() == 0  # not asked yet
        await phone.walk(IDEA["ru"], until=lambda: live_has(phone, phone.word("add_photo")))
        button = phone.live.get_by_role("button", name="📷 Добавить фото", exact=True)
        assert await button.is_visible() and await button.inner_text() == "📷 Добавить фото"
        size = await button.bounding_box()
        assert size["height"] >= 48 and size["width"] >= 48
        await phone.add_photo(JPEG)  # the tap opens the phone's picker; the chosen photo is sent
        maximum = world.app.settings.proposals.max_photos
        await page.locator("li.bot").filter(has_text=phone.t("proposal.photo_added", count=1, max=maximum)).wait_for()
        await phone.propose(IDEA["ru"], on_map=False)
        [stored] = await stored_proposals(world)
        assert stored["photos"] == 1
        [(key, _)] = await world.app.db.reader.proposals.attachments(stored["id"])
        assert same_picture(world.app.dispatcher.attachments.path_of(key).read_bytes(), JPEG)


async def test_a_place_is_pointed_at_on_a_map_served_with_the_page_and_tiles_from_the_set_server(tmp_path):
    centre, zoom = (50.0958, 118.0317), 16
    async with chat_with_map(tmp_path, SOUCHASTIE_WEBCHAT_MAP_CENTRE=json.dumps(list(centre)),
                             SOUCHASTIE_WEBCHAT_MAP_ZOOM=str(zoom)) as (world, tiles), \
            phone_browser(world) as page:
        hosts = set()
        page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
        phone = Phone(page, world, "ru")
        await phone.open()
        async with world.http.get(world.base + "/chat") as response:
            policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
        assert policy["img-src"] == f"'self' blob: {tiles.origin}" and policy["script-src"] == "'self'"
        await phone.walk(IDEA["ru"], until=lambda: phone.live.locator(".map").count())
        dx, dy = 60, -40
        await phone.point_on_map(dx, dy)
        x, y = mercator(*centre, zoom)
        expected = from_mercator(x + dx, y + dy, zoom)
        await phone.propose(IDEA["ru"], on_map=False)
        [stored] = await stored_proposals(world)
        pixel = 360 / (TILE * 2 ** zoom)  # degrees of longitude in one pixel; latitude's are fewer here
        assert abs(stored["latitude"] - expected[0]) < 2 * pixel and abs(stored["longitude"] - expected[1]) < 2 * pixel
        assert tiles.asked and all(path.startswith(f"/{zoom}/") for path in tiles.asked)
        page_host = urlsplit(world.base).netloc
        assert hosts == {page_host, urlsplit(tiles.origin).netloc}  # Leaflet itself came from our server
        assert not [line for line in page.console_lines if "Content Security Policy" in line]


async def test_the_page_speaks_the_first_browser_language_the_bot_speaks_and_sends_it_as_the_hint(tmp_path):
    async with chat_with_map(tmp_path) as (world, _), \
            phone_browser(world, "de", languages=["de-DE", "en-GB", "ru"]) as page:
        sent = []
        page.on("request", lambda request: request.method == "POST" and sent.append(request.post_data_json))
        phone = Phone(page, world, "en")
        await phone.open()
        assert await page.title() == "Chat with the town"
        assert await page.get_attribute("html", "lang") == "en"
        assert await page.get_attribute("#text", "placeholder") == "Write a message…"
        assert await page.get_attribute("#send", "aria-label") == "Send the message"
        assert sent[0]["text"] == "/start" and sent[0]["language"] == "en"
        # The bot took the hint: it already speaks English.
        await phone.live.get_by_role("button", name=phone.t("consent.accept"), exact=True).wait_for()


async def test_the_page_follows_the_language_the_resident_chooses_in_the_bot(tmp_path):
    async with chat_with_map(tmp_path) as (world, _), phone_browser(world, "ru") as page:
        sent = []
        page.on("request", lambda request: request.method == "POST" and sent.append(request.post_data_json))
        phone = Phone(page, world, "ru")
        await phone.open()
        assert await page.get_attribute("#text", "placeholder") == "Напишите сообщение…"
        await phone.tap(phone.t("consent.accept"))
        if "English" not in await phone.live_buttons():  # the question was skipped: the menu has «🌐 Язык»
            await phone.tap(phone.t("menu.language"))
        await phone.tap("English")
        await page.wait_for_function("() => document.documentElement.lang === 'en'")
        assert await page.title() == "Chat with the town"
        assert await page.get_attribute("#text", "placeholder") == "Write a message…"
        await phone.tap(phone.texts.get("en", "menu.propose"))
        assert sent[-1]["language"] == "en"


async def test_the_receipt_stays_in_view_with_what_comes_after_it(tmp_path):
    async with chat_with_map(tmp_path) as (world, _), phone_browser(world) as page:
        phone = Phone(page, world, "ru")
        await phone.open()
        receipt = await phone.propose(IDEA["ru"], on_map=False)
        await page.get_by_role("button", name=phone.t("proposal.another"), exact=True).wait_for()  # its buttons came
        await page.wait_for_timeout(300)  # any scrolling the page does has happened
        top = (await receipt.bounding_box())["y"]
        header = await page.locator("header").bounding_box()
        composer = await page.locator("#composer").bounding_box()
        assert header["y"] + header["height"] <= top < composer["y"], (top, header, composer)


async def test_a_faded_button_says_why_it_no_longer_works(tmp_path):
    async with chat_with_map(tmp_path) as (world, _), phone_browser(world) as page:
        phone = Phone(page, world, "ru")
        await phone.open()
        await phone.tap(phone.t("consent.accept"))
        old = page.get_by_role("button", name=phone.t("consent.accept"), exact=True)
        assert await old.is_disabled()
        why = "Эти кнопки уже не действуют: ответьте на последнее сообщение ниже."
        assert await old.get_attribute("title") == why
        note = page.locator("li.bot").filter(has=old).locator(".faded-note")
        assert await note.is_visible() and await note.inner_text() == why


async def test_every_button_is_large_and_only_one_on_screen_says_send(tmp_path):
    async with chat_with_map(tmp_path) as (world, _), phone_browser(world) as page:
        phone = Phone(page, world, "ru")
        await phone.open()
        composer_send = page.locator("#send")
        assert await composer_send.get_attribute("aria-label") == "Отправить сообщение"
        assert not any(ch.isalpha() for ch in await composer_send.inner_text())  # an arrow, no word

        async def check_screen() -> None:
            shown = await visible_buttons(page)
            small = [b for b in shown if b["width"] < 48 or b["height"] < 48]
            assert not small, small
            saying_send = [b["text"] for b in shown if b["enabled"] and "Отправить" in b["text"]]
            assert len(saying_send) <= 1, saying_send

        async def at_the_map() -> bool:
            return bool(await phone.live.locator(".map").count())

        await phone.walk(IDEA["ru"], JPEG, until=at_the_map)
        await phone.live.locator(".map .leaflet-tile-loaded").first.wait_for(state="attached")
        await phone.live.locator(".map").scroll_into_view_if_needed()
        await check_screen()
        await phone.point_on_map()
        assert phone.t("proposal.confirm") in await phone.live_buttons()
        await check_screen()  # the review: its confirm button alone says send


async def test_a_refused_file_is_explained_in_the_residents_language(tmp_path):
    async with chat_with_map(tmp_path) as (world, _), phone_browser(world, "en") as page:
        phone = Phone(page, world, "en")
        await phone.open()
        await phone.walk(IDEA["en"], until=lambda: live_has(phone, phone.word("add_photo")))
        await phone.add_photo(b"these are words, not a picture", name="note.jpg")
        notice = page.locator("li.notice").last
        assert await notice.inner_text() == "This is not a photo. Please choose a picture (JPEG, PNG or WebP)."
