"""Statistics as staff read them: reach per channel and source, proposals per week and
category, poll and survey charts, the tag cloud of residents' words in their dictionary form,
the weekly «срез мнений» that reaches staff once; QR posters; content and broadcast forms."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from admin.report import send_weekly_report
from admin.tagcloud import top_words
from bot.content import load_content, storable
from channels.webchat.channel import session_ref
from storage.proposals import NewProposal
from tests.drivers import eventually
from tests.drivers.staff_panel import log_in
from tests.drivers.webchat import world as webchat_world

FIXTURES = Path(__file__).parent / "fixtures" / "content"
STAFF_SESSION = "f" * 32
STAFF_CHAT = session_ref(STAFF_SESSION).external_id  # what the web chat knows a browser by
TEXTS = ["Хотим больше деревьев в парке и новые скамейки",
         "В парке нужно поставить скамейки у фонтана",
         "Скамейки в парку сломаны, деревья у парка не поливают"]


@pytest.fixture
async def world(tmp_path):
    async with webchat_world(tmp_path, SOUCHASTIE_REPORTS_RECIPIENTS=f'["webchat:{STAFF_CHAT}"]') as running:
        async with running.app.db.transaction() as tx:
            for number, text in enumerate(TEXTS):
                resident = await tx.residents.get_or_create("webchat", f"resident{number}")
                await tx.residents.record_consent(resident.id, "v1", f"Житель {number}")
                await tx.residents.set_first_source(resident.id, "poster_12")
                await tx.subscriptions.subscribe(resident.id, "news")
                await tx.proposals.create(NewProposal(resident.id, "webchat", "poster_12",
                                                      "idea" if number else "tree", text))
            await tx.content.store(storable(load_content(FIXTURES / "polls.yaml")))
            poll_id = (await tx.content.get("polls", "park_name"))[0]
            for voter, option in ((1, "urguy"), (2, "urguy"), (3, "detsky")):
                await tx.polls.cast(poll_id, f"resident:{voter}", None, "webchat", [(option, 1)], False)
        yield running


def test_the_tag_cloud_counts_dictionary_forms_without_function_words():
    words = dict(top_words(TEXTS))
    assert words["парк"] == 4 and words["скамейка"] == 3 and words["дерево"] == 2
    assert not {"в", "и", "у", "нужно", "больше", "не", "хотеть"} & set(words)


async def test_the_statistics_page_shows_reach_charts_and_the_cloud(world):
    staff = await log_in(world.app, "аналитик", "staff")
    try:
        status, page = await staff.get("/admin/stats")
        assert status == 200
        # Residents, consented, subscribed, reachable.
        assert "<td>веб-чат</td><td>3</td><td>3</td><td>3</td><td>3</td>" in page
        assert "<td>poster_12</td><td>3</td>" in page
        assert page.count('<svg class="chart"') >= 3  # weeks, categories, the poll
        assert "Ургуй</text>" in page and ">2</text>" in page  # two ballots for «Ургуй»
        assert 'title="4">парк</span>' in page and ">скамейка</span>" in page
    finally:
        await staff.close()
    moderator = await log_in(world.app, "модератор", "moderator")
    try:
        status, _ = await moderator.get("/admin/stats")
        assert status == 403
    finally:
        await moderator.close()


async def test_the_weekly_report_is_written_once_and_reaches_the_staff_chat(world):
    app = world.app
    next_week = date.today() + timedelta(days=7)
    assert await send_weekly_report(app.dispatcher, app.settings, today=next_week)
    assert not await send_weekly_report(app.dispatcher, app.settings, today=next_week), "never twice"
    staff_chat = world.resident()
    staff_chat.session = STAFF_SESSION
    [report] = await eventually(staff_chat.later)  # none for last week: nobody had come yet
    text = report.text
    assert text.startswith("Срез мнений за") and "Идея для парка: 2" in text and "парк (4)" in text
    admin = await log_in(app, "глава", "admin")
    try:
        _, page = await admin.get("/admin/stats")
        assert "Срез мнений за" in page and "Новых участников: 3" in page
    finally:
        await admin.close()


async def test_a_poster_has_a_qr_code_per_running_channel(world):
    staff = await log_in(world.app, "дизайнер", "staff")
    try:
        status, page = await staff.get("/admin/posters", source="entrance 12")
        assert status == 200 and "латинских букв" in page
        status, page = await staff.get("/admin/posters", source="entrance_12")  # followed to the poster
        assert status == 200 and "Присоединяйтесь" in page
        assert "http://localhost:8080/chat?src=entrance_12" in page
        assert '<svg xmlns="http://www.w3.org/2000/svg"' in page
        status, headers, png = await staff.download("/admin/posters/entrance_12/webchat.png")
        assert status == 200 and png.startswith(b"\x89PNG") and headers["Content-Type"] == "image/png"
        status, _, svg = await staff.download("/admin/posters/entrance_12/webchat.svg")
        assert status == 200 and b"<svg" in svg and b"chat?src=entrance_12" in svg
        status, _ = await staff.get("/admin/posters/bad%20source")
        assert status == 400
    finally:
        await staff.close()


async def test_content_is_edited_as_yaml_checked_previewed_and_stored(world):
    staff = await log_in(world.app, "редактор", "staff")
    try:
        status, page = await staff.get("/admin/content", kind="polls", key="park_name")
        assert status == 200 and "key: park_name" in page
        bad = "polls:\n  - key: broken\n    title: {ru: \"Сломано\"}\n    opens: 2026-01-01T00:00:00+09:00\n" \
              "    closes: 2025-01-01T00:00:00+09:00\n    options:\n      - {key: a, title: {ru: А}}\n"
        status, page = await staff.post("/admin/content", {"yaml": bad, "action": "save"})
        assert status == 400 and "строка 7: polls[0].options" in page
        good = ("polls:\n  - key: bench\n    title: {ru: \"Какую скамейку поставить?\"}\n"
                "    opens: 2026-01-01T00:00:00+09:00\n    closes: 2099-01-01T00:00:00+09:00\n"
                "    options:\n      - {key: wood, title: {ru: Деревянную}}\n"
                "      - {key: stone, title: {ru: Каменную}}\n")
        status, page = await staff.post("/admin/content", {"yaml": good, "action": "preview"})
        assert status == 200 and "Какую скамейку поставить?" in page and "[Деревянную]" in page
        assert await world.app.db.reader.content.get("polls", "bench") is None, "a preview stores nothing"
        status, page = await staff.post("/admin/content", {"yaml": good, "action": "save"})
        assert status == 200 and "Сохранено." in page and "bench" in page
        assert await world.app.db.reader.content.get("polls", "bench") is not None
        series = ("series:\n  - key: park\n    title: {ru: \"ПАРКУ БЫТЬ!\"}\n    topic: episodes\n    episodes:\n"
                  "      - {number: 1, title: {ru: Начало}, video_url: \"https://example.org/1\","
                  " air_at: \"2099-06-01T10:00:00+09:00\"}\n")
        status, page = await staff.post("/admin/content", {"yaml": series.replace("episodes\n    ep", "nosuch\n    ep"),
                                                           "action": "save"})
        assert status == 400 and "nosuch" in page, "a series must go to a configured topic"
        status, page = await staff.post("/admin/content", {"yaml": series, "action": "save"})
        assert status == 200 and "ПАРКУ БЫТЬ!" in page
        status, page = await staff.get("/admin/content", kind="series", key="park")
        assert "air_at: &#39;2099-06-01T01:00:00+00:00&#39;" in page and "https://example.org/1" in page
    finally:
        await staff.close()


async def test_a_broadcast_is_previewed_created_and_its_progress_followed(world):
    staff = await log_in(world.app, "рассыльщик", "staff")
    try:
        form = {"title": "Новости", "text_ru": "{{ name }}, в субботу субботник!", "topic": "news"}
        status, page = await staff.post("/admin/broadcasts", {**form, "action": "preview"})
        assert status == 200 and "Анна, в субботу субботник!" in page and 'id="audience-count">3<' in page
        status, page = await staff.post("/admin/broadcasts", {**form, "action": "send"})
        assert status == 200 and "Рассылка №" in page and 'id="progress-bar"' in page
        broadcast_id = page.split("Рассылка №", 1)[1].split(":", 1)[0]

        async def sent() -> bool:
            _, _, body = await staff.download(f"/admin/broadcasts/{broadcast_id}/progress")
            import json
            progress = json.loads(body)
            return progress["total"] == 3 and progress["sent"] == 3
        await eventually(sent)
    finally:
        await staff.close()
    moderator = await log_in(world.app, "модератор2", "moderator")
    try:
        status, _ = await moderator.post("/admin/broadcasts", {"title": "x", "text_ru": "x", "action": "send"})
        assert status == 403, "a moderator cannot broadcast"
    finally:
        await moderator.close()


def test_poster_links_follow_each_platforms_deep_link_format(tmp_path):
    from admin.posters import poster_links
    from tests.drivers import test_settings

    settings = test_settings(tmp_path, SOUCHASTIE_POSTERS_TELEGRAM_BOT="park_bot", SOUCHASTIE_POSTERS_VK_GROUP="park",
                             SOUCHASTIE_SERVER_PUBLIC_URL="https://park.example.org")
    links = {link.channel: (link.url, link.missing)
             for link in poster_links(settings, ["telegram", "vk", "max", "webchat"], "poster_12")}
    assert links == {"telegram": ("https://t.me/park_bot?start=poster_12", ""),
                     "vk": ("https://vk.me/park?ref=poster_12", ""),
                     "max": ("", "posters.max_bot"),  # running, but its name is not set: no broken link
                     "webchat": ("https://park.example.org/chat?src=poster_12", "")}
    with pytest.raises(ValueError):
        poster_links(settings, ["webchat"], "poster 12")
