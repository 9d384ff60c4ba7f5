"""Votes on a map (issue 16, point 2): a poll whose options are zones and places, with the shipped
campaign's «first_zone»; the picture messengers get, the nearest zones to a sent location, and
the one-vote rules of every poll."""
from __future__ import annotations

import asyncio
import io
import json
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator

import pytest
from aiohttp import web
from PIL import Image

from bot.content import ContentError, load_content
from bot.map_pictures import MapPictures
from handlers.map_polls import draw_missing, picture_key
from tests.browser import tile_png
from tests.drivers import CAMPAIGN, eventually, load_content_into
from tests.drivers.webchat import world as webchat_world
from tests.journey import all_text, last_buttons, onboard

POLL = "first_zone"
ZONES = ["entrance", "alley", "pond", "glade", "fountain"]
IN_THE_POND_ZONE = (50.0956, 118.0355)      # inside zone 3, «Берег пруда»
BY_THE_ENTRANCE = (50.0948, 118.0305)       # outside every zone, south-west of zone 1
QUIET = {"SOUCHASTIE_MAPS_RENDER_EVERY_SECONDS": "3600"}  # the app's own job waits: the test draws


@dataclass
class Tiles:
    """A tile server on loopback that can fail (HTTP 500) or hang past the client's timeout."""

    fault: str = ""
    asked: list[str] = field(default_factory=list)
    port: int = 0

    @property
    def template(self) -> str:
        return f"http://127.0.0.1:{self.port}/{{z}}/{{x}}/{{y}}.png"


@asynccontextmanager
async def tile_server(fault: str = "") -> AsyncIterator[Tiles]:
    tiles, picture = Tiles(fault), tile_png()

    async def tile(request: web.Request) -> web.StreamResponse:
        tiles.asked.append(request.path)
        if tiles.fault == "500":
            return web.Response(status=500)
        if tiles.fault == "hang":
            await asyncio.sleep(30)
        return web.Response(body=picture, content_type="image/png")

    app = web.Application()
    app.router.add_get(r"/{z:\d+}/{x:\d+}/{y:\d+}.png", tile)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    tiles.port = runner.addresses[0][1]
    try:
        yield tiles
    finally:
        await runner.cleanup()


def pictures_of(app) -> MapPictures:
    return MapPictures(app.settings.storage.attachments_dir, app.settings.maps)


async def campaign_poll(app):
    from handlers.polls import load_poll
    async with app.db.transaction() as tx:
        found = await load_poll(tx, POLL)
    assert found is not None
    return found[1]


def picture_path(app, poll) -> Path:
    return Path(app.settings.storage.attachments_dir) / picture_key(poll, app.settings.maps)


def colour_share(png: bytes, colour: tuple[int, int, int]) -> float:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    pixels = list(image.getdata())
    return sum(1 for p in pixels if p == colour) / len(pixels)


TILE_GREEN = (214, 236, 205)   # the fake tile's colour (tests.browser.tile_png)
SCHEMATIC = (238, 234, 226)    # the schematic's background (bot.map_pictures.draw)


# -- the web chat journey --------------------------------------------------------------------

@pytest.fixture
async def chat(tmp_path):
    async with webchat_world(tmp_path, **QUIET) as running:
        await load_content_into(running.app, CAMPAIGN)
        yield running


async def test_a_map_poll_shows_numbered_zones_and_a_location_offers_the_nearest_to_vote(chat):
    assert await draw_missing(chat.app.db, pictures_of(chat.app)) == 1
    resident = chat.resident()
    await onboard(resident)
    await resident.press("menu:polls")
    data = await resident.post({"button": f"poll:{POLL}"})
    ballot = data["replies"][-1]
    labels = [b["label"] for row in ballot["buttons"] for b in row if b.get("payload", "").startswith("vote:")]
    assert labels == ["1. Входная площадь", "2. Центральная аллея", "3. Берег пруда", "4. Северная поляна",
                      "5. Старый фонтан"]
    assert any(b.get("request") == "location" for row in ballot["buttons"] for b in row)
    poll = await campaign_poll(chat.app)
    assert ballot["media"] == [{"kind": "photo", "file_key": picture_key(poll, chat.app.settings.maps), "url": ""}]

    nearest = await resident.send_location(*IN_THE_POND_ZONE)
    offered = last_buttons(nearest)
    assert offered[:3] == [f"vote:{POLL}:pond", f"vote:{POLL}:alley", f"vote:{POLL}:glade"]  # 0, ~70, ~130 m
    assert "3. Берег пруда — вы здесь" in [b["label"] for b in nearest[-1].buttons[0]]
    thanks = await resident.press(f"vote:{POLL}:pond")
    assert "голос учтён" in all_text(thanks)
    assert "Берег пруда — 1 (100%)" in all_text(thanks)


async def test_a_location_outside_every_zone_offers_the_three_nearest_with_their_distance(chat):
    resident = chat.resident()
    await onboard(resident)
    await resident.send_text(f"/start poll-{POLL}")
    nearest = await resident.send_location(*BY_THE_ENTRANCE)
    assert last_buttons(nearest)[:3] == [f"vote:{POLL}:entrance", f"vote:{POLL}:alley", f"vote:{POLL}:glade"]
    first = nearest[-1].buttons[0][0]["label"]
    assert first.startswith("1. Входная площадь — ") and first.endswith(" м")


async def test_a_second_vote_on_the_map_is_refused_as_in_every_poll(chat):
    resident = chat.resident()
    await onboard(resident)
    await resident.send_text(f"/start poll-{POLL}")
    await resident.press(f"vote:{POLL}:glade")
    again = await resident.send_text(f"/start poll-{POLL}")
    assert "уже проголосовали" in all_text(again) and "Северная поляна" in all_text(again)
    stale = await resident.press(f"vote:{POLL}:pond")
    assert "голос учтён" not in all_text(stale)
    assert await tally(chat.app) == {"glade": 1}


async def test_forged_zone_payloads_change_nothing(chat):
    resident = chat.resident()
    await onboard(resident)
    await resident.send_text(f"/start poll-{POLL}")
    for forged in (f"vote:{POLL}:casino", f"vote:{POLL}:urguy", f"vote:{POLL}:"):  # no zone; another poll's option
        refused = await resident.press(forged)
        assert "Такого варианта нет" in all_text(refused) and f"vote:{POLL}:pond" in last_buttons(refused)
    other_poll = await resident.press("vote:park_name:urguy")  # a poll the resident did not open
    assert "голос учтён" not in all_text(other_poll)
    assert await tally(chat.app) == {} and await tally(chat.app, "park_name") == {}


async def tally(app, key: str = POLL) -> dict[str, int]:
    _, chosen = await app.db.reader.statistics.poll_tally(key)
    return {option: times for option, (times, _) in chosen.items()}


async def test_before_the_picture_is_drawn_the_numbered_buttons_say_it_all(chat):
    resident = chat.resident()
    await onboard(resident)
    data = await resident.post({"text": f"/start poll-{POLL}"})
    ballot = data["replies"][-1]
    assert ballot["media"] == [] and "на картинке" not in ballot["text"]
    assert "пришлите свою геопозицию" in ballot["text"] and f"vote:{POLL}:pond" in last_buttons(
        resident._messages({"replies": [ballot]}))


async def test_where_a_poll_allows_a_change_a_second_vote_on_the_map_changes_it(tmp_path):
    path = content(tmp_path, "allow_change: true\n    results: live")
    async with webchat_world(tmp_path, **QUIET) as world:
        await load_content_into(world.app, path)
        resident = world.resident()
        await onboard(resident)
        await resident.send_text("/start poll-zone")
        await resident.press("vote:zone:a")
        await resident.send_text("/start poll-zone")
        nearest = await resident.send_location(50.095, 118.0385)  # inside b
        assert last_buttons(nearest)[:2] == ["vote:zone:b", "vote:zone:a"]
        changed = await resident.press("vote:zone:b")
        assert "Ваш голос изменён" in all_text(changed)
        assert await tally(world.app, "zone") == {"b": 1}


# -- the picture: drawn once, over tiles or as a schematic ------------------------------------

async def test_the_picture_is_drawn_once_over_the_tiles_and_reused(tmp_path):
    async with tile_server() as tiles:
        async with webchat_world(tmp_path, SOUCHASTIE_MAPS_TILE_URL=tiles.template, **QUIET) as world:
            await load_content_into(world.app, CAMPAIGN)
            pictures = pictures_of(world.app)
            assert await draw_missing(world.app.db, pictures) == 1
            fetched = len(tiles.asked)
            assert fetched >= 4
            assert await draw_missing(world.app.db, pictures) == 0
            assert await draw_missing(world.app.db, pictures_of(world.app)) == 0  # another process: the file
            assert pictures.drawn == 1 and len(tiles.asked) == fetched
            poll = await campaign_poll(world.app)
            drawn = picture_path(world.app, poll).read_bytes()
            picture_path(world.app, poll).unlink()  # drawn anew (a new drawing version): the tiles from disk
            assert await draw_missing(world.app.db, pictures) == 1 and len(tiles.asked) == fetched
            assert picture_path(world.app, poll).read_bytes() == drawn
            png = picture_path(world.app, poll).read_bytes()
            assert colour_share(png, TILE_GREEN) > 0.2 and colour_share(png, SCHEMATIC) == 0
            zones = json.loads(picture_path(world.app, poll).with_suffix(".geojson").read_text())
            assert [f["properties"]["payload"] for f in zones["features"]] == [f"vote:{POLL}:{z}" for z in ZONES]
            first, second = world.resident(), world.resident()
            for resident in (first, second):
                await onboard(resident)
                data = await resident.post({"text": f"/start poll-{POLL}"})
                assert data["replies"][-1]["media"][0]["file_key"] == picture_key(poll, world.app.settings.maps)


@pytest.mark.parametrize("fault", ["500", "hang"])
async def test_a_failing_tile_server_gives_the_schematic(tmp_path, fault):
    async with tile_server(fault) as tiles:
        async with webchat_world(tmp_path, SOUCHASTIE_MAPS_TILE_URL=tiles.template,
                                 SOUCHASTIE_MAPS_TILE_TIMEOUT_SECONDS="0.5", **QUIET) as world:
            await load_content_into(world.app, CAMPAIGN)
            assert await draw_missing(world.app.db, pictures_of(world.app)) == 1
            assert tiles.asked
            png = picture_path(world.app, await campaign_poll(world.app)).read_bytes()
            assert colour_share(png, SCHEMATIC) > 0.2 and colour_share(png, TILE_GREEN) == 0


async def test_without_a_tile_server_the_picture_is_a_schematic(chat):
    assert chat.app.settings.maps.tile_url == ""
    assert await draw_missing(chat.app.db, pictures_of(chat.app)) == 1
    png = picture_path(chat.app, await campaign_poll(chat.app)).read_bytes()
    assert Image.open(io.BytesIO(png)).size == (800, 600)
    assert colour_share(png, SCHEMATIC) > 0.2


async def test_the_bot_draws_the_picture_on_its_own_clock(tmp_path):
    async with webchat_world(tmp_path, SOUCHASTIE_MAPS_RENDER_EVERY_SECONDS="0.2") as world:
        await load_content_into(world.app, CAMPAIGN)
        poll = await campaign_poll(world.app)
        await eventually(lambda: picture_path(world.app, poll).is_file())


# -- the content file -------------------------------------------------------------------------

ZONE_POLL = """
polls:
  - key: zone
    title: {{ru: "Где?"}}
    opens: 2020-01-01T00:00:00+09:00
    closes: 2030-01-01T00:00:00+09:00
    {extra}
    options:
      - key: a
        title: {{ru: "А"}}
        {geometry_a}
      - key: b
        title: {{ru: "Б"}}
        {geometry_b}
"""
SQUARE = ("geometry: {type: Polygon, coordinates: "
          "[[[118.03, 50.09], [118.04, 50.09], [118.04, 50.10], [118.03, 50.09]]]}")
POINT = "geometry: {type: Point, coordinates: [118.03, 50.09]}"


def content(tmp_path: Path, extra: str = "", geometry_a: str = POINT, geometry_b: str = SQUARE) -> Path:
    path = tmp_path / "content.yaml"
    path.write_text(ZONE_POLL.format(extra=extra, geometry_a=geometry_a, geometry_b=geometry_b), encoding="utf-8")
    return path


def problems(path: Path) -> str:
    with pytest.raises(ContentError) as error:
        load_content(path)
    return str(error.value)


def test_zones_load_from_the_content_file_and_from_a_geojson_file(tmp_path):
    assert load_content(content(tmp_path)).polls[0].on_map
    (tmp_path / "zones.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"key": "b"}, "geometry": {"type": "Point", "coordinates": [118.0, 50.0]}},
        {"type": "Feature", "properties": {"key": "a"},
         "geometry": {"type": "Polygon", "coordinates": [[[118, 50], [118.1, 50], [118.1, 50.1], [118, 50]]]}}]}))
    poll = load_content(content(tmp_path, "geojson: zones.geojson", "", "")).polls[0]
    assert [o.geometry.type for o in poll.options] == ["Polygon", "Point"]


def test_content_errors_on_a_map_are_told_in_russian(tmp_path):
    swapped = "geometry: {type: Point, coordinates: [50.09, 118.03]}"
    assert "вне Земли: в GeoJSON сначала долгота" in problems(content(tmp_path, geometry_a=swapped))
    open_ring = SQUARE.replace("[118.03, 50.09]]]", "[118.035, 50.095]]]")
    assert "полигон не замкнут" in problems(content(tmp_path, geometry_b=open_ring))
    assert "на карте должны быть все варианты" in problems(content(tmp_path, geometry_b=""))
    assert "только с одним ответом" in problems(content(tmp_path, "kind: multiple\n    max_choices: 2"))
    (tmp_path / "zones.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"key": "casino"}, "geometry": {"type": "Point", "coordinates": [1, 2]}}]}))
    assert "неизвестный вариант «casino»" in problems(content(tmp_path, "geojson: zones.geojson", "", ""))
    assert "не читается" in problems(content(tmp_path, "geojson: missing.geojson", "", ""))


# -- the messengers: the picture uploaded once, buttons numbered as on it ---------------------

def pictures_sent(channel: str, world, user_id: int) -> list[bytes]:
    """The pictures the bot sent this resident, as the fake platform received them."""
    fake = world.fake
    match channel:
        case "telegram":
            return [fake.photo_files[m["photo"][-1]["file_id"]] for m in fake.sent_to(user_id) if "uploaded" in m]
        case "vk":
            return [fake.uploaded[name] for m in fake.by_peer[user_id] if m.get("attachment")
                    for name in m["attachment"].split(",")]
        case "max":
            return [fake.uploaded[a["payload"]["token"]] for m in fake.sent if m["user_id"] == user_id
                    for a in m["attachments"] if a.get("type") == "image"]
    raise AssertionError(channel)


@pytest.mark.parametrize("channel", ["telegram", "vk", "max"])
async def test_in_a_messenger_the_picture_comes_with_numbered_buttons_and_a_location_votes(tmp_path, channel):
    from tests.drivers import load_world

    async with load_world(channel)(tmp_path, **QUIET) as world:
        await load_content_into(world.app, CAMPAIGN)
        assert await draw_missing(world.app.db, pictures_of(world.app)) == 1
        picture = picture_path(world.app, await campaign_poll(world.app)).read_bytes()
        first, second = world.resident(0), world.resident(1)
        for resident in (first, second):
            await onboard(resident)
            ballot = await resident.send_text(f"/start poll-{POLL}")
            assert f"vote:{POLL}:pond" in last_buttons(ballot)
            labels = [b["label"] for m in ballot for row in m.buttons for b in row if b.get("payload", "")
                      .startswith(f"vote:{POLL}:")]
            assert labels[:5] == ["1. Входная площадь", "2. Центральная аллея", "3. Берег пруда",
                                  "4. Северная поляна", "5. Старый фонтан"]
            assert pictures_sent(channel, world, resident.user_id) == [picture]
        # uploaded once, the same photo named for the second resident
        assert len(world.fake.photo_files if channel == "telegram" else world.fake.uploaded) == 1

        nearest = await first.send_location(*IN_THE_POND_ZONE)
        assert last_buttons(nearest)[:3] == [f"vote:{POLL}:pond", f"vote:{POLL}:alley", f"vote:{POLL}:glade"]
        thanks = await first.press(f"vote:{POLL}:pond")
        assert "голос учтён" in all_text(thanks)
        again = await first.send_text(f"/start poll-{POLL}")
        assert "уже проголосовали" in all_text(again) and "Берег пруда" in all_text(again)
        assert await tally(world.app) == {"pond": 1}
