"""What the chat page is given by the server (issue 12), without a browser: its words from every
locale file and the map's settings (/chat/page.json), Leaflet from our own server with its
licence, a CSP that allows images from the tile server named in the settings and no other, and
with each answer where the resident stands (their language, whether their step takes photos)."""
from __future__ import annotations

import secrets

import pytest

from bot.config import ConfigError, load_settings
from bot.core.i18n import Texts
from tests.browser import LOCALES
from tests.drivers import test_settings
from tests.drivers.webchat import world as webchat_world
from tests.journey import JPEG
from tests.test_webchat_limits import poll, post, upload


def policy_of(headers) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))


async def test_the_page_gets_its_words_in_every_language_and_the_map_of_the_town(tmp_path):
    async with webchat_world(tmp_path) as world:
        async with world.http.get(world.base + "/chat/page.json") as response:
            given = await response.json()
    texts = Texts.load(LOCALES, "ru")
    keys = {key.removeprefix("webchat.page.") for key in texts.keys("ru") if key.startswith("webchat.page.")}
    assert given["default"] == "ru" and set(given["texts"]) == set(texts.languages)
    for language, words in given["texts"].items():
        assert set(words) == keys, language
    assert given["texts"]["ru"]["add_photo"] == "📷 Добавить фото"
    assert given["texts"]["en"]["title"] == "Chat with the town"
    webchat = test_settings(tmp_path).webchat
    assert given["map"] == {"tiles": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                            "attribution": "© OpenStreetMap contributors",
                            "attribution_url": "https://www.openstreetmap.org/copyright",
                            "centre": list(webchat.map_centre), "zoom": webchat.map_zoom, "max_zoom": 19}
    assert given["max_photo_bytes"] == test_settings(tmp_path).proposals.max_photo_bytes


async def test_images_may_come_from_the_tile_server_of_the_settings_and_no_other(tmp_path):
    async with webchat_world(tmp_path) as world:
        async with world.http.get(world.base + "/chat") as response:
            assert policy_of(response.headers)["img-src"] == "'self' blob: https://tile.openstreetmap.org"
    own = "https://{s}.tiles.city.example.ru:8443/park/{z}/{x}/{y}.png"
    async with webchat_world(tmp_path / "own", SOUCHASTIE_WEBCHAT_MAP_TILES_URL=own) as world:
        async with world.http.get(world.base + "/chat") as response:
            assert policy_of(response.headers)["img-src"] == "'self' blob: https://*.tiles.city.example.ru:8443"
    async with webchat_world(tmp_path / "none", SOUCHASTIE_WEBCHAT_MAP_TILES_URL='""') as world:
        async with world.http.get(world.base + "/chat") as response:
            assert policy_of(response.headers)["img-src"] == "'self' blob:"
        async with world.http.get(world.base + "/chat/page.json") as response:
            assert (await response.json())["map"] is None


@pytest.mark.parametrize("url", [
    "https://tiles.example.ru/{z}/{x}/{y}.png; script-src *",    # a directive smuggled into the policy
    "https://tiles.example.ru; script-src */{z}/{x}/{y}.png",
    "https://'unsafe-inline'/{z}/{x}/{y}.png",
    "javascript://tiles.example.ru/{z}/{x}/{y}.png",
    "https://tiles.example.ru/{z}/{x}.png",                     # not a tile address: no {y}
])
def test_a_tile_address_that_is_not_a_plain_server_is_refused(url):
    good = load_settings(None, {"SOUCHASTIE_WEBCHAT_MAP_TILES_URL": "https://tiles.example.ru/{z}/{x}/{y}.png"})
    assert good.webchat.map_tiles_origin == "https://tiles.example.ru"
    with pytest.raises(ConfigError, match="map_tiles_url"):
        load_settings(None, {"SOUCHASTIE_WEBCHAT_MAP_TILES_URL": url})


def test_a_map_centre_off_the_globe_is_refused():
    settings = load_settings(None, {"SOUCHASTIE_WEBCHAT_MAP_CENTRE": "[50.09, 118.03]"})
    assert settings.webchat.map_centre == (50.09, 118.03)
    with pytest.raises(ConfigError, match="map_centre"):
        load_settings(None, {"SOUCHASTIE_WEBCHAT_MAP_CENTRE": "[118.03, 50.09]"})


async def test_leaflet_comes_from_our_own_server_with_its_licence(tmp_path):
    async with webchat_world(tmp_path) as world:
        base = world.base + "/chat/vendor/leaflet/"
        for name, kind in (("leaflet.js", "application/javascript"), ("leaflet.css", "text/css"),
                           ("images/marker-icon.png", "image/png")):
            async with world.http.get(base + name) as response:
                assert response.status == 200 and response.content_type == kind, name
                assert response.headers["X-Content-Type-Options"] == "nosniff"
        async with world.http.get(base + "LICENSE") as response:
            assert "BSD 2-Clause" in await response.text() and "Volodymyr Agafonkin" in await response.text()
        for name in ("leaflet.js.map", "..%2F..%2Fapi.py", "images/..%2F..%2F..%2Fpage.py", "nothing.js"):
            async with world.http.get(base + name) as response:
                assert response.status == 404, name
        async with world.http.get(world.base + "/chat/map.js") as response:
            assert response.status == 200 and "/chat/vendor/leaflet/" in await response.text()


async def test_each_answer_says_whether_the_step_takes_photos_and_which_language_the_resident_chose(tmp_path):
    async with webchat_world(tmp_path) as world:
        session = secrets.token_hex(16)
        status, _, greeting = await post(world, session, {"text": "/start", "language": "en"})
        # The browser's language is kept from the first message: the bot need not ask it.
        assert status == 200 and greeting["step"] == {"language": "en", "takes_photos": False}
        await post(world, session, {"button": "consent:yes"})
        _, _, chosen = await post(world, session, {"button": "lang:en"})
        assert chosen["step"]["language"] == "en"
        _, _, asked = await post(world, session, {"button": "menu:propose"})
        wrote = False
        for _ in range(4):  # the category and the text, in whichever order the bot asks them
            if asked["step"]["takes_photos"]:
                break
            offered = [b["payload"] for r in asked["replies"] for row in r["buttons"] for b in row if b.get("payload")]
            assert asked["step"] == {"language": "en", "takes_photos": False}
            if "cat:idea" in offered:
                _, _, asked = await post(world, session, {"button": "cat:idea"})
            elif not wrote:
                _, _, asked = await post(world, session, {"text": "Put benches and a lamp by the pond"})
                wrote = True
        assert asked["step"] == {"language": "en", "takes_photos": True}
        _, _, added = await upload(world, session, JPEG)
        assert added["replies"] and "step" in added
        # The long poll carries it too, with replies (none: nothing after the last one seen).
        last = max(reply["id"] for reply in added["replies"])
        status, _, earlier = await poll(world, session, timeout=0, after=str(last - 1))
        assert status == 200 and earlier["step"]["language"] == "en"
        status, _, nothing = await poll(world, session, timeout=0, after=str(last))
        assert nothing == {"replies": []}
