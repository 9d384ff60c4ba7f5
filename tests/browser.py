"""The chat page in a real browser on a small phone: Debian's Chromium (the test command installs
it) driven by Playwright at 390×844 with touch, a stub tile server on loopback for the map, and
``Phone``, a resident who taps what the page shows and counts every action (a tap, a file chosen
in the picker, a tap on the map) on the way; typing is not counted."""
from __future__ import annotations

import asyncio
import io
import re
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from PIL import Image

from bot.core.i18n import Texts
from tests.drivers import CAMPAIGN, load_content_into
from tests.drivers.panel import PASSWORD as STAFF_PASSWORD
from tests.drivers.webchat import WebChatWorld, world as webchat_world

playwright_api = pytest.importorskip("playwright.async_api")
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
LOCALES = Path(__file__).resolve().parents[1] / "handlers" / "locales"
PHONE = {"width": 390, "height": 844}
# The browser's language for each locale the bot may speak.
BROWSER_LOCALE = {"ru": "ru-RU", "en": "en-US", "zh": "zh-CN", "mn": "mn-MN"}
IDEA = {"ru": "Поставить скамейки у пруда и фонарь", "en": "Put benches and a lamp by the pond",
        "zh": "在池塘边放几张长椅和一盏路灯", "mn": "Цөөрмийн дэргэд сандал, гэрэл тавих"}

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason=".ci/run installs Debian's chromium")
# One Chromium for a whole test module, where the module asks for it (``one_chromium`` in
# tests/conftest.py): each page still opens in a context of its own (its own cookies, storage,
# language and screen), but a Chromium and Playwright's driver start once, not once a test.
_SHARED: dict[asyncio.AbstractEventLoop, Any] = {}


@asynccontextmanager
async def shared_chromium() -> AsyncIterator[Any]:
    """Chromium for every page opened on this event loop until the block ends."""
    async with _own_chromium() as browser:
        loop = asyncio.get_running_loop()
        _SHARED[loop] = browser
        try:
            yield browser
        finally:
            del _SHARED[loop]


@asynccontextmanager
async def _own_chromium() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """The module's shared Chromium when there is one, else one for this page alone."""
    shared = _SHARED.get(asyncio.get_running_loop())
    if shared is not None:
        yield shared
        return
    async with _own_chromium() as browser:
        yield browser


def tile_png() -> bytes:
    """A 256-pixel tile: pale green with a darker border, so a screenshot shows the grid."""
    image = Image.new("RGB", (256, 256), (214, 236, 205))
    for edge in range(256):
        for x, y in ((edge, 0), (0, edge)):
            image.putpixel((x, y), (120, 160, 110))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@dataclass
class TileServer:
    """Any /{z}/{x}/{y}.png answered with one small picture; every path asked is kept."""

    port: int = 0
    asked: list[str] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def template(self) -> str:
        return self.origin + "/{z}/{x}/{y}.png"


@asynccontextmanager
async def tile_server() -> AsyncIterator[TileServer]:
    server = TileServer()
    picture = tile_png()

    async def tile(request: web.Request) -> web.Response:
        server.asked.append(request.path)
        return web.Response(body=picture, content_type="image/png")

    app = web.Application()
    app.router.add_get(r"/{z:\d+}/{x:\d+}/{y:\d+}.png", tile)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.port = runner.addresses[0][1]
    try:
        yield server
    finally:
        await runner.cleanup()


@asynccontextmanager
async def chat_with_map(tmp_path: Path, **environment: str) -> AsyncIterator[tuple[WebChatWorld, TileServer]]:
    """The bot with the shipped campaign loaded and its map's tiles from a stub on loopback."""
    async with tile_server() as tiles:
        async with webchat_world(tmp_path, SOUCHASTIE_WEBCHAT_MAP_TILES_URL=tiles.template, **environment) as world:
            await load_content_into(world.app, CAMPAIGN)
            yield world, tiles


@asynccontextmanager
async def phone_browser(world: WebChatWorld, language: str = "ru", languages: list[str] | None = None,
                        ) -> AsyncIterator[Any]:
    """A page on a 390×844 touch screen whose browser reads ``language`` (or, when given,
    ``languages`` in order, as navigator.languages reports them)."""
    async with chromium() as browser:
        context = await browser.new_context(locale=BROWSER_LOCALE.get(language, language), viewport=PHONE,
                                            has_touch=True, is_mobile=True, device_scale_factor=2)
        try:
            context.set_default_timeout(15_000)
            if languages is not None:
                await context.add_init_script(
                    "Object.defineProperty(navigator, 'languages', {get: () => %s});"
                    "Object.defineProperty(navigator, 'language', {get: () => %r});" % (languages, languages[0]))
            page = await context.new_page()
            page.console_lines = []
            page.on("console", lambda message: page.console_lines.append(message.text))
            yield page
        finally:
            await context.close()


class Phone:
    """A resident at the page: each action is a tap on what the page shows (the page's own
    controls found by their words in the locale files), and is counted."""

    def __init__(self, page: Any, world: WebChatWorld, language: str) -> None:
        self.page = page
        self.world = world
        self.language = language
        self.texts = Texts.load(LOCALES, world.app.settings.languages.default)
        self.actions: list[str] = []

    def t(self, key: str, **fields: Any) -> str:
        return self.texts.get(self.language, key, **fields)

    def word(self, key: str) -> str:
        return self.t(f"webchat.page.{key}")

    async def open(self) -> None:
        await self.page.goto(f"{self.world.base}/chat")
        await self.page.locator("li.msg.bot").first.wait_for()

    @property
    def live(self) -> Any:
        """The controls that work now: the latest group of buttons that has not faded."""
        return self.page.locator("li.bot .answers:not(.faded)").last

    async def bot_messages(self) -> int:
        return await self.page.locator("li.msg.bot, li.msg.notice").count()

    async def _answered(self, before: int) -> None:
        await self.page.wait_for_function(
            "n => document.querySelectorAll('li.msg.bot, li.msg.notice').length > n", arg=before)

    async def tap(self, name: str, what: str = "") -> None:
        """Tap the live button called ``name`` and wait for the bot's answer."""
        before = await self.bot_messages()
        await self.live.get_by_role("button", name=name, exact=True).tap()
        self.actions.append(what or name)
        await self._answered(before)

    async def write(self, text: str) -> None:
        before = await self.bot_messages()
        await self.page.locator("#text").fill(text)  # typing the idea is not counted
        await self.page.locator("#send").tap()
        self.actions.append("send the text")
        await self._answered(before)

    async def add_photo(self, data: bytes, name: str = "photo.jpg", mime: str = "image/jpeg") -> None:
        before = await self.bot_messages()
        async with self.page.expect_file_chooser() as chooser:
            await self.live.get_by_role("button", name=self.word("add_photo"), exact=True).tap()
        self.actions.append("add a photo")
        await (await chooser.value).set_files([{"name": name, "mimeType": mime, "buffer": data}])
        self.actions.append("choose the file")
        await self._answered(before)

    async def point_on_map(self, dx: float = 0, dy: float = 0) -> None:
        """Tap the live map (dx, dy pixels from its centre): the place is sent with the tap."""
        area = self.live.locator(".map")
        await area.locator(".leaflet-tile-loaded").first.wait_for(state="attached")
        box = await area.bounding_box()
        before = await self.bot_messages()
        await area.tap(position={"x": box["width"] / 2 + dx, "y": box["height"] / 2 + dy})
        self.actions.append("tap the map")
        await self._answered(before)

    async def live_buttons(self) -> list[str]:
        if not await self.page.locator("li.bot .answers:not(.faded)").count():
            return []
        return [name.strip() for name in await self.live.locator("button:enabled").all_inner_texts()]

    def receipt_pattern(self) -> re.Pattern:
        return re.compile(re.escape(self.world.app.settings.proposals.receipt_prefix) + r"\d+")

    async def receipt(self) -> Any | None:
        found = self.page.locator("li.msg.bot").filter(has_text=self.receipt_pattern())
        return found.first if await found.count() else None

    async def propose(self, idea: str, photo: bytes | None = None, on_map: bool = True) -> Any:
        """From the page just opened to the receipt; returns the receipt's message."""
        await self.walk(idea, photo, on_map, until=self.receipt)
        return await self.receipt()

    async def walk(self, idea: str, photo: bytes | None = None, on_map: bool = True,
                   until: Callable[[], Awaitable[Any]] | None = None, limit: int = 30) -> None:
        """Answer whatever the bot asks, the way a resident does (agree, choose the language if
        asked, propose, write, choose the category if asked, add the photo, point at the place,
        send) until ``until()`` is true or the receipt is shown."""
        languages = {self.texts.get(code, "language_name") for code in self.texts.languages}
        category = self.world.app.settings.proposals.categories[0].title_in(self.language, self.texts.default)
        wrote = photo_added = placed = chose = False
        for _ in range(limit):
            if (until is not None and await until()) or await self.receipt() is not None:
                return
            buttons = await self.live_buttons()
            if self.t("consent.accept") in buttons:
                await self.tap(self.t("consent.accept"), "agree")
            elif self.t("language_name") in buttons and len(languages & set(buttons)) > 1:
                await self.tap(self.t("language_name"), "choose the language")
            elif self.t("menu.propose") in buttons and not wrote:
                await self.tap(self.t("menu.propose"), "propose")
            elif category in buttons and not chose:
                await self.tap(category, "choose the category")
                chose = True
            elif photo is not None and not photo_added and self.word("add_photo") in buttons:
                await self.add_photo(photo)
                photo_added = True
            elif on_map and not placed and await self.live.locator(".map").count():
                await self.point_on_map()
                placed = True
            elif self.t("proposal.confirm") in buttons:
                await self.tap(self.t("proposal.confirm"), "confirm")
            elif not wrote:
                await self.write(idea)
                wrote = True
            else:
                raise AssertionError(f"stuck: the page offers {buttons} after {self.actions}")
        raise AssertionError(f"not there after {self.actions}")


@asynccontextmanager
async def staff_browser(**context_options: Any) -> AsyncIterator[Any]:
    """A page in a Russian-speaking Chromium for the staff panel; ``context_options`` as
    Playwright's new_context takes them (a viewport, downloads, a time zone)."""
    async with chromium() as browser:
        context = await browser.new_context(**{"locale": "ru-RU", **context_options})
        try:
            context.set_default_timeout(15_000)
            yield await context.new_page()
        finally:
            await context.close()


async def log_in(page: Any, base: str, username: str, password: str = STAFF_PASSWORD) -> None:
    """Through the login form, as staff do, until the panel greets them."""
    await page.goto(base + "/admin/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("form[action='/admin/login'] button[type=submit]")
    await page.wait_for_selector(f"text=Здравствуйте, {username}")
