"""The public page /public and its open data, over HTTP on the running bot: only what staff
published (through the panel's form) is shown, never spam, a merged duplicate or anything that
names an author; the filters work without JavaScript and refuse made-up values; an unchanged
page costs a 304; the page speaks every locale; a city may frame it only when configured to."""
from __future__ import annotations

import csv
import io
import json
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import pytest
from markupsafe import escape

from bot.core.i18n import Texts
from handlers import LOCALES
from public.shown import FIELDS
from storage.ports.proposals import NewProposal
from storage.ports.volunteers import NewVolunteer
from tests import stored
from tests.drivers import CAMPAIGN, load_content_into
from tests.drivers.panel import StaffBrowser, make_staff
from tests.drivers.webchat import WebChatWorld, world as webchat_world
from tests.journey import all_text, onboard, propose

TEXTS = Texts.load(LOCALES, "ru")
# What a published proposal's author left about themselves: none of it may reach the page or feeds.
AUTHOR = {"name": "Зинаида Аркадьевна Пружинкина", "phone": "+79141234567", "contact": "zina@example.org",
          "external": "vk-user-777001"}
PRIVATE_ANSWER = "Уважаемая Зинаида Аркадьевна, спасибо за письмо"


@pytest.fixture
async def world(tmp_path) -> AsyncIterator[WebChatWorld]:
    async with webchat_world(tmp_path) as running:
        yield running


@asynccontextmanager
async def moderator(world: WebChatWorld) -> AsyncIterator[StaffBrowser]:
    await make_staff(world.app, "mila", "moderator")
    async with StaffBrowser.of(world.app) as staff:
        assert (await staff.login("mila")).status == 200
        yield staff


async def made(world: WebChatWorld, text: str, *, category: str = "idea", place: tuple[float, float] | None = None,
               address: str = "") -> int:
    """A proposal by a resident who gave a name and a phone (operator entry keeps the author's
    name, phone and contact with the proposal, so each is there to leak)."""
    async with world.app.db.transaction() as tx:
        author = await tx.residents.get_or_create("vk", AUTHOR["external"])
        await tx.residents.record_consent(author.id, "v1", AUTHOR["name"])
        await tx.residents.set_phone(author.id, AUTHOR["phone"], True)
        proposal_id = await tx.proposals.create(NewProposal(
            author.id, "vk", "poster-entrance-12", category, text, address=address,
            latitude=place[0] if place else None, longitude=place[1] if place else None))
        await tx.moderation.record_entry(proposal_id, point="library", author_name=AUTHOR["name"],
                                         author_contact=AUTHOR["contact"], author_phone=AUTHOR["phone"],
                                         consented=True, operator="olga")
    return proposal_id


async def publish(staff: StaffBrowser, proposal_id: int, text: str, answer: str = "") -> None:
    page = await staff.post(f"/admin/proposals/{proposal_id}/public", {"public": "1", "text": text, "answer": answer})
    assert page.status == 200 and "Опубликовано" in page.text, page.text


async def get(world: WebChatWorld, path: str, **headers: str) -> tuple[int, Any, str]:
    async with world.http.get(world.base + path, headers=headers) as response:
        return response.status, response.headers, (await response.read()).decode("utf-8")


def numbers_in_geojson(body: str) -> list[str]:
    return [feature["properties"]["number"] for feature in json.loads(body)["features"]]


def numbers_in_csv(body: str) -> list[str]:
    assert body.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(body[1:])))
    assert tuple(table[0]) == FIELDS
    return [row[0] for row in table[1:]]


async def test_only_what_staff_published_is_shown_and_never_an_author(world):
    prefix = world.app.settings.proposals.receipt_prefix
    benches = await made(world, f"Скамейки у пруда. {AUTHOR['name']}, {AUTHOR['phone']}", place=(50.0958, 118.0317),
                         address="ул. Ленина, 3")
    lamps = await made(world, "Фонари на аллее", category="problem")
    hidden = await made(world, "Идея, которую никто не публиковал")
    spam = await made(world, "Купите слона")
    twin = await made(world, "Скамейки у пруда ещё раз")
    async with moderator(world) as staff:
        offered = (await staff.get(f"/admin/proposals/{benches}")).text
        assert "Скамейки у пруда" in offered and AUTHOR["phone"] not in offered.split('name="text">')[1].split("<")[0]
        await staff.post(f"/admin/proposals/{benches}/answer", {"text": PRIVATE_ANSWER})
        await publish(staff, benches, "Скамейки у пруда.", "Поставим скамейки весной")
        await publish(staff, lamps, "Фонари на аллее")
        await publish(staff, spam, "Купите слона")
        await publish(staff, twin, "Скамейки у пруда ещё раз")
        await staff.post(f"/admin/proposals/{spam}/status", {"status": "spam"})
        await staff.post(f"/admin/proposals/{twin}/merge", {"into": str(benches)})
    assert await stored.count(world.app.db, "audit_log", action="proposal.publish") == 4

    status, _, html = await get(world, "/public")
    assert status == 200
    assert f"{prefix}{benches}" in html and f"{prefix}{lamps}" in html
    assert "Поставим скамейки весной" in html and "ул. Ленина, 3" in html
    assert TEXTS.get("ru", "status.new") in html and "Идея для парка" in html
    for absent in (f"{prefix}{hidden}<", f"{prefix}{spam}<", f"{prefix}{twin}<", "Купите слона", "никто не публиковал"):
        assert absent not in html
    _, _, geojson = await get(world, "/public/proposals.geojson")
    _, _, table = await get(world, "/public/proposals.csv")
    assert numbers_in_geojson(geojson) == numbers_in_csv(table) == [f"{prefix}{lamps}", f"{prefix}{benches}"]
    placed = json.loads(geojson)["features"][1]
    assert placed["geometry"] == {"type": "Point", "coordinates": [118.0317, 50.0958]}
    assert json.loads(geojson)["features"][0]["geometry"] is None
    for body in (html, geojson, table):
        for personal in (*AUTHOR.values(), "Пружинкина", "Зинаида", PRIVATE_ANSWER, "poster-entrance-12", "olga",
                         "library", '"vk"', ",vk,"):
            assert personal not in body, personal


async def test_filters_work_without_javascript_and_a_forged_value_is_refused(world):
    prefix = world.app.settings.proposals.receipt_prefix
    idea = await made(world, "Лавочки", category="idea")
    problem = await made(world, "Яма на дорожке", category="problem")
    spam = await made(world, "Реклама")
    async with moderator(world) as staff:
        for proposal_id in (idea, problem, spam):
            await publish(staff, proposal_id, f"Текст {proposal_id}")
        await staff.post(f"/admin/proposals/{problem}/status", {"status": "accepted"})
        await staff.post(f"/admin/proposals/{spam}/status", {"status": "spam"})

    _, _, html = await get(world, "/public?category=problem")
    assert f"{prefix}{problem}<" in html and f"{prefix}{idea}<" not in html
    assert '<option value="problem" selected>' in html
    _, _, html = await get(world, "/public?status=new")
    assert f"{prefix}{idea}<" in html and f"{prefix}{problem}<" not in html
    _, _, geojson = await get(world, "/public/proposals.geojson?status=accepted")
    _, _, table = await get(world, "/public/proposals.csv?category=idea&status=new")
    assert numbers_in_geojson(geojson) == [f"{prefix}{problem}"]
    assert numbers_in_csv(table) == [f"{prefix}{idea}"]
    for forged in ("status=spam", "status=duplicate", "category=secret", "category=%27%20OR%201%3D1%20--",
                   "page=0", "page=-1", "page=%D9%A3", "page=99999999999999999999"):
        for path in ("/public", "/public/proposals.geojson", "/public/proposals.csv"):
            status, _, body = await get(world, f"{path}?{forged}")
            assert status == 400, (path, forged, status)
            assert "Реклама" not in body and f"Текст {spam}" not in body


async def test_the_list_is_split_into_pages_with_links_that_keep_the_filters(tmp_path):
    async with webchat_world(tmp_path, SOUCHASTIE_PUBLIC_PAGE_SIZE="2") as world:
        prefix = world.app.settings.proposals.receipt_prefix
        ids = [await made(world, f"Идея номер {n}") for n in range(5)]
        async with moderator(world) as staff:
            for proposal_id in ids:
                await publish(staff, proposal_id, f"Идея номер {proposal_id}")
        _, _, first = await get(world, "/public?category=idea")
        _, _, last = await get(world, "/public?category=idea&page=3")
        _, _, beyond = await get(world, "/public?category=idea&page=4")
    assert [f"{prefix}{n}<" in first for n in ids] == [False, False, False, True, True]
    assert [f"{prefix}{n}<" in last for n in ids] == [True, False, False, False, False]
    assert 'href="/public?category=idea&amp;page=2"' in first and "rel=\"prev\"" not in first
    assert 'href="/public?category=idea&amp;page=2"' in last and "rel=\"next\"" not in last
    assert TEXTS.get("ru", "public_page.page_of", page=3, pages=3) in last
    assert all(f"{prefix}{n}<" not in beyond for n in ids)


async def test_an_unchanged_page_costs_a_304_and_a_change_a_new_page(world):
    prefix = world.app.settings.proposals.receipt_prefix
    first = await made(world, "Фонтан")
    second = await made(world, "Клумба")
    async with moderator(world) as staff:
        await publish(staff, first, "Фонтан")
        for path in ("/public", "/public/proposals.geojson?category=idea", "/public/proposals.csv"):
            status, headers, _ = await get(world, path)
            tag = headers["ETag"]
            assert status == 200 and headers["Cache-Control"] == "public, max-age=60"
            status, again, body = await get(world, path, **{"If-None-Match": tag})
            assert (status, body, again["ETag"]) == (304, "", tag)
        _, headers, _ = await get(world, "/public")
        tag = headers["ETag"]
        _, english, _ = await get(world, "/public?lang=en")
        assert english["ETag"] != tag
        await publish(staff, second, "Клумба")
        status, changed, html = await get(world, "/public", **{"If-None-Match": tag})
        assert status == 200 and changed["ETag"] != tag and f"{prefix}{second}<" in html
        await staff.post(f"/admin/proposals/{second}/status", {"status": "accepted"})
        status, _, html = await get(world, "/public", **{"If-None-Match": changed["ETag"]})
        assert status == 200 and TEXTS.get("ru", "status.accepted") in html


@pytest.mark.parametrize("language", TEXTS.languages)
async def test_the_page_speaks_each_language_by_choice_or_by_the_browser(world, language):
    proposal_id = await made(world, "Скамейки")
    async with moderator(world) as staff:
        await publish(staff, proposal_id, "Скамейки")
    title = str(escape(TEXTS.get(language, "public_page.title")))
    status_title = TEXTS.get(language, "status.new")
    _, headers, chosen = await get(world, f"/public?lang={language}")
    _, _, by_browser = await get(world, "/public", **{"Accept-Language": f"fr-FR, {language};q=0.8, de;q=0.5"})
    _, _, table = await get(world, f"/public/proposals.csv?lang={language}")
    for html in (chosen, by_browser):
        assert f'<html lang="{language}">' in html and title in html and status_title in html
    assert headers["Content-Language"] == language
    assert status_title in table
    category = world.app.settings.proposals.categories[0].title_in(language)
    assert category in chosen


async def test_unknown_languages_get_the_default_one(world):
    _, _, html = await get(world, "/public?lang=xx", **{"Accept-Language": "fr, de;q=0.9"})
    assert '<html lang="ru">' in html and TEXTS.get("ru", "public_page.title") in html


async def test_the_city_site_may_frame_the_page_only_when_named(tmp_path):
    async with webchat_world(tmp_path) as world:
        _, headers, _ = await get(world, "/public")
    assert "frame-ancestors 'self'" in headers["Content-Security-Policy"] and headers["X-Frame-Options"] == "SAMEORIGIN"
    async with webchat_world(tmp_path / "framed",
                             SOUCHASTIE_PUBLIC_EMBED_ORIGINS="[self, 'https://city.example.ru']") as world:
        _, headers, _ = await get(world, "/public")
        _, feed, _ = await get(world, "/public/proposals.geojson")
    assert "frame-ancestors 'self' https://city.example.ru" in headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in headers
    assert feed["Content-Type"].startswith("application/geo+json")


async def test_the_page_can_be_switched_off(tmp_path):
    async with webchat_world(tmp_path, SOUCHASTIE_PUBLIC_ENABLED="false") as world:
        assert (await get(world, "/public"))[0] == 404
        assert (await get(world, "/public/proposals.csv"))[0] == 404


async def test_a_cell_that_excel_would_run_stays_text(world):
    proposal_id = await made(world, "Формула")
    async with moderator(world) as staff:
        await publish(staff, proposal_id, '=HYPERLINK("http://evil.example","клик")', "+7 ответ")
    _, headers, table = await get(world, "/public/proposals.csv")
    row = list(csv.reader(io.StringIO(table[1:])))[1]
    assert row[FIELDS.index("text")] == "'=HYPERLINK(\"http://evil.example\",\"клик\")"
    assert row[FIELDS.index("answer")] == "'+7 ответ"
    assert headers["Content-Type"] == "text/csv; charset=utf-8"


async def test_published_poll_results_and_aired_episodes_are_shown(world):
    await load_content_into(world.app, CAMPAIGN)
    async with world.app.db.transaction() as tx:
        poll = await tx.content.get("polls", "park_name")
        assert poll is not None
        for voter, option in (("a", "urguy"), ("b", "urguy"), ("c", "raduga")):
            await tx.polls.cast(poll[0], voter, None, "webchat", [(option, 1)], False)
        assert await tx.content.mark_poll_announced("park_name")
    _, _, html = await get(world, "/public")
    _, _, english = await get(world, "/public?lang=en")
    assert "Как назвать обновлённый парк?" in html and "Ургуй" in html
    assert TEXTS.get("ru", "public_page.votes", count=2, percent=67) in html
    assert TEXTS.get("ru", "public_page.voters", count=3) in html
    assert "Какую территорию благоустроить в первую очередь?" not in html  # its results were not announced
    assert "ПАРКУ БЫТЬ!" in html and "Парк, которого нет" in html and "https://example.org/parku-byt/01" in html
    assert "What should the renewed park be called?" in english and "The park that is not there" in english


async def test_a_resident_proposal_reaches_the_page_once_published(world):
    """The whole way: a resident proposes in the web chat; nothing is public until staff publish."""
    resident = world.resident()
    await onboard(resident)
    receipt = await propose(resident, text="Качели у фонтана", photo=False)
    _, _, before = await get(world, "/public")
    assert receipt not in before
    async with moderator(world) as staff:
        await publish(staff, int(receipt.rsplit("-", 1)[1]), "Качели у фонтана", "Качели будут")
    _, _, after = await get(world, "/public")
    assert f"{receipt}<" in after and "Качели будут" in after and resident.session not in after


async def test_a_text_its_author_erases_leaves_the_page_and_the_feeds(world):
    """/forget with «erase my texts»: the published copy goes with the text (migration 0023's
    trigger), so the page never keeps what its author took back."""
    resident = world.resident()
    await onboard(resident)
    receipt = await propose(resident, text="Горка у школы номер пять", photo=False)
    async with moderator(world) as staff:
        await publish(staff, int(receipt.rsplit("-", 1)[1]), "Горка у школы номер пять", "Горку поставим")
    assert "Горка у школы" in (await get(world, "/public"))[2]
    await resident.send_text("/forget")
    assert "тексты с фото" in all_text(await resident.press("priv:erase"))
    for path in ("/public", "/public/proposals.geojson", "/public/proposals.csv"):
        _, _, body = await get(world, path)
        assert "Горка у школы" not in body and "Горку поставим" not in body and receipt not in body
    assert await stored.columns_holding(world.app.db, "Горка у школы") == []


async def test_the_map_holds_the_newest_located_proposals_up_to_its_limit(tmp_path):
    async with webchat_world(tmp_path, SOUCHASTIE_PUBLIC_MAP_MAX_POINTS="2") as world:
        prefix = world.app.settings.proposals.receipt_prefix
        placed = [await made(world, f"Место {n}", place=(50.091 + n, 118.03)) for n in range(3)]
        nowhere = await made(world, "Без места")
        async with moderator(world) as staff:
            for proposal_id in (*placed, nowhere):
                await publish(staff, proposal_id, f"Текст {proposal_id}")
        _, _, html = await get(world, "/public")
    data = json.loads(html.split('<script type="application/json" id="map-data">')[1].split("</script>")[0])
    assert [point[0] for point in data["points"]] == [f"{prefix}{placed[2]}", f"{prefix}{placed[1]}"]
    assert data["points"][0][1:] == [52.091, 118.03, "idea", "new"]
    assert TEXTS.get("ru", "public_page.map_capped", shown=2, count=3) in html
    assert all(f"{prefix}{n}<" in html for n in (*placed, nowhere))


async def test_only_those_who_moderate_publish_and_never_an_empty_text(world):
    proposal_id = await made(world, "Скамейки")
    await make_staff(world.app, "pavel", "expert")
    async with StaffBrowser.of(world.app) as expert:
        assert (await expert.login("pavel")).status == 200
        refused = await expert.post(f"/admin/proposals/{proposal_id}/public", {"public": "1", "text": "Скамейки"})
    assert refused.status == 403
    async with moderator(world) as staff:
        empty = await staff.post(f"/admin/proposals/{proposal_id}/public", {"public": "1", "text": "  "})
        assert empty.status == 400 and "оставьте его текст" in empty.text
        assert (await staff.post("/admin/proposals/99999/public", {"public": "1", "text": "x"})).status == 404
        await publish(staff, proposal_id, "Скамейки", "Будут")
        hidden = await staff.post(f"/admin/proposals/{proposal_id}/public",
                                  {"public": "0", "text": "Скамейки", "answer": "Будут"})
        assert hidden.status == 200 and "Снято с публичной страницы" in hidden.text
    assert "Скамейки" not in (await get(world, "/public"))[2]
    assert await stored.count(world.app.db, "audit_log", action="proposal.unpublish") == 1
    publication = await world.app.db.reader.public.publication(proposal_id)
    assert publication is not None and (publication.public, publication.answer) == (False, "Будут")


async def test_the_page_counts_who_joined_and_a_new_offer_changes_it(world):
    status, headers, body = await get(world, "/public")
    assert status == 200 and "жители: 0, организации: 0" in body
    async with world.app.db.transaction() as tx:
        for number, kind in enumerate(("person", "person", "organisation")):
            resident = await tx.residents.get_or_create("webchat", f"joiner-{number}")
            await tx.volunteers.join(NewVolunteer(resident.id, "webchat", kind, AUTHOR["name"], "messenger", "",
                                                  ("events",), "", "2026-12-01T00:00:00+00:00"))
    again, changed, body = await get(world, "/public", **{"If-None-Match": headers["ETag"]})
    assert again == 200 and changed["ETag"] != headers["ETag"]
    assert "жители: 2, организации: 1" in body and AUTHOR["name"] not in body


async def test_a_map_polls_places_are_on_the_page_numbered_as_the_bot_numbers_them(world):
    await load_content_into(world.app, CAMPAIGN)
    voter = world.resident()
    await onboard(voter)
    await voter.send_text("/start poll-first_zone")
    assert "ваш голос учтён" in all_text(await voter.press("vote:first_zone:pond"))

    status, _, body = await get(world, "/public")
    zones = body[body.index('id="zones-heading"'):body.index("</section>", body.index('id="zones-heading"'))]
    assert status == 200 and "Какую часть парка обустроить первой?" in zones
    assert zones.index('value="1">Входная площадь') < zones.index('value="3">Берег пруда') < zones.index(
        'value="5">Старый фонтан')
    assert "голосов" not in zones  # while the vote runs, the page does not sway it
    shown = json.loads(body[body.index('id="map-data">') + len('id="map-data">'):body.index("</script>",
                                                                                       body.index('id="map-data">'))])
    assert [zone["properties"]["label"] for zone in shown["zones"]][:3] == [
        "1. Входная площадь", "2. Центральная аллея", "3. Берег пруда"]
    assert shown["zones"][2]["geometry"]["type"] == "Polygon"

    async with world.app.db.transaction() as tx:
        assert await tx.content.mark_poll_announced("first_zone")
    _, _, body = await get(world, "/public")
    assert "Берег пруда — голосов: 1 (100 %)" in body and "Входная площадь — голосов: 0 (0 %)" in body
