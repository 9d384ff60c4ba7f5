"""Exports as staff download them from the panel and the command line: the filters they chose,
no personal data unless their role may see it, no formula that runs in a spreadsheet, a map
layer per category, and survey responses one row per respondent — all in the panel's words
(«П-2», «принято в проект», «Идея для парка», «веб-чат») and the town's clock (Krasnokamensk,
UTC+9), with the stored keys in columns of their own at the end."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from admin.export_tables import Words
from admin.exports import csv_chunks
from bot.app import Application
from bot.content import load_content, storable
from storage.moderation import ProposalFilter
from storage.proposals import NewProposal
from tests import postgres, stored
from tests.drivers import ROOT, test_settings
from tests.drivers.staff_panel import log_in

SURVEY = Path(__file__).parent / "fixtures" / "content" / "survey.yaml"
PHONE = "+79140000001"
# The issue's own example: sent at 06:20 on 2 December in Krasnokamensk, stored as UTC.
SENT_UTC, SENT_LOCAL = "2026-12-01T21:20:00.000000+00:00", "02.12.2026 06:20"


async def seed(app: Application) -> None:
    """Two residents with names and phones, five proposals (one with a formula), three survey
    responses."""
    async with app.db.transaction() as tx:
        anna = await tx.residents.get_or_create("webchat", "anna")
        await tx.residents.record_consent(anna.id, "v1", "Анна Петрова")
        await stored.change(tx, "residents", {"id": anna.id}, phone=PHONE)
        boris = await tx.residents.get_or_create("telegram", "777")
        await tx.residents.record_consent(boris.id, "v1", "Борис")
        proposals = [
            (anna.id, "webchat", "tree", "=HYPERLINK(\"http://evil\") старый тополь", 51.70, 118.30),
            (anna.id, "webchat", "idea", "Поставить скамейки у фонтана", 51.71, 118.31),
            (boris.id, "telegram", "tree", "Липа у входа засохла", 51.72, 118.32),
            (boris.id, "telegram", "problem", "-1 фонарь не горит", None, None),
            (None, "operator", "lost", "@Раньше была танцплощадка", 51.73, 118.33),
        ]
        for resident_id, channel, category, text, lat, lon in proposals:
            await tx.proposals.create(NewProposal(resident_id, channel, "poster_1", category, text,
                                                  latitude=lat, longitude=lon))
        await tx.moderation.set_status(2, "accepted", "ольга")
        await stored.change(tx, "proposals", {"id": 2}, created_at=SENT_UTC)
        await tx.content.store(storable(load_content(SURVEY)))
        survey_id = (await tx.content.get("surveys", "opinion"))[0]
        for resident, visits in ((anna, "weekly"), (boris, "never")):
            response = await tx.surveys.begin(survey_id, resident.id, resident.channel, "visits")
            response.answers = {"visits": visits, "wishes": ["benches", "shade"], "rating": 4}
            response.completed = True
            await tx.surveys.save(response)


@pytest.fixture
async def app(tmp_path):
    application = Application(test_settings(tmp_path))
    await application.start()
    await seed(application)
    try:
        yield application
    finally:
        await application.stop()


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode()), "Excel needs the BOM to read Cyrillic"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


async def test_an_admin_downloads_proposals_with_authors_and_formulas_made_harmless(app):
    admin = await log_in(app, "ольга", "admin")
    try:
        status, headers, body = await admin.download("/admin/exports/download", format="csv", kind="proposals",
                                                     personal="1")
        assert status == 200 and 'filename="proposals.csv"' in headers["Content-Disposition"]
        header, *rows = read_csv(body)
        assert header[:3] == ["Номер", "Создано (UTC+9)", "Канал"] and "Широта" in header and "Долгота" in header
        assert len(rows) == 5
        texts = [row[header.index("Текст")] for row in rows]
        assert texts[0].startswith("'=HYPERLINK") and texts[3] == "'-1 фонарь не горит" and texts[4].startswith("'@")
        assert rows[0][header.index("Телефон автора")] == "'" + PHONE
        assert rows[0][header.index("Имя автора")] == "Анна Петрова"
        assert rows[0][header.index("Широта")] == "51.7" and rows[0][header.index("Долгота")] == "118.3"
        _, log = await admin.get("/admin/audit")
        assert "<td>Выгрузка</td><td>CSV: предложения</td>" in log and "с персональными данными: да" in log
    finally:
        await admin.close()


async def test_a_csv_export_says_what_the_panel_says_in_the_towns_clock(app):
    staff = await log_in(app, "сотрудник", "staff")
    try:
        _, _, body = await staff.download("/admin/exports/download", format="csv", kind="proposals")
        header, *rows = read_csv(body)
        accepted = dict(zip(header, rows[1]))
        assert {k: accepted[k] for k in ("Номер", "Создано (UTC+9)", "Канал", "Категория", "Статус")} == {
            "Номер": "П-2", "Создано (UTC+9)": SENT_LOCAL, "Канал": "веб-чат", "Категория": "Идея для парка",
            "Статус": "принято в проект"}
        assert header[-4:] == ["Код статуса", "Код категории", "Код канала", "Номер в базе"]
        assert rows[1][-4:] == ["accepted", "idea", "webchat", "2"]
        assert dict(zip(header, rows[4]))["Канал"] == "через оператора"
    finally:
        await staff.close()


async def test_an_xlsx_export_holds_real_dates_in_local_time_and_the_panels_words(app, tmp_path):
    staff = await log_in(app, "сотрудник", "staff")
    try:
        _, _, body = await staff.download("/admin/exports/download", format="xlsx", kind="proposals")
        path = tmp_path / "proposals.xlsx"
        path.write_bytes(body)
        sheet = openpyxl.load_workbook(path)["Предложения"]
        header = [cell.value for cell in sheet[1]]
        row = {name: cell for name, cell in zip(header, sheet[3])}
        assert row["Создано (UTC+9)"].value == datetime(2026, 12, 2, 6, 20), "a date cell, in the town's wall time"
        assert row["Создано (UTC+9)"].is_date and row["Создано (UTC+9)"].number_format == "DD.MM.YYYY HH:MM"
        assert [row[k].value for k in ("Номер", "Канал", "Категория", "Статус", "Код статуса")] == [
            "П-2", "веб-чат", "Идея для парка", "принято в проект", "accepted"]
    finally:
        await staff.close()


async def test_the_export_form_lists_channels_by_their_titles(app):
    staff = await log_in(app, "сотрудник", "staff")
    try:
        _, page = await staff.get("/admin/exports")
        assert '<option value="webchat">веб-чат</option>' in page
        assert '<option value="operator">через оператора</option>' in page
        assert ">webchat<" not in page
    finally:
        await staff.close()


async def test_a_moderator_exports_without_personal_data_and_cannot_ask_for_it(app):
    moderator = await log_in(app, "модератор", "moderator")
    try:
        status, _, body = await moderator.download("/admin/exports/download", format="csv", kind="proposals")
        assert status == 200
        assert PHONE.encode() not in body and "Петрова".encode() not in body
        assert "Телефон" not in body.decode("utf-8-sig")
        status, _, body = await moderator.download("/admin/exports/download", format="csv", kind="proposals",
                                                   personal="1")
        assert status == 403 and PHONE.encode() not in body
        status, _, _ = await moderator.download("/admin/exports/download", format="csv", kind="residents")
        assert status == 403
    finally:
        await moderator.close()


async def test_an_expert_cannot_export_at_all(app):
    expert = await log_in(app, "эксперт", "expert")
    try:
        status, _, body = await expert.download("/admin/exports/download", format="csv", personal="1")
        assert status == 403 and PHONE.encode() not in body
    finally:
        await expert.close()


async def test_xlsx_has_a_sheet_per_kind_with_the_filters_applied(app, tmp_path):
    staff = await log_in(app, "сотрудник", "staff")
    try:
        status, _, body = await staff.download("/admin/exports/download", format="xlsx", kind="all",
                                               category="tree")
        assert status == 200
        path = tmp_path / "export.xlsx"
        path.write_bytes(body)
        book = openpyxl.load_workbook(path, read_only=True)
        assert book.sheetnames == ["Предложения", "Опрос «Срез мнений»"]  # no residents sheet without the right
        proposals = list(book["Предложения"].values)
        header = proposals[0]
        assert len(proposals) == 3
        assert {row[header.index("Категория")] for row in proposals[1:]} == {"Дерево (Я-дендролог)"}
        assert {row[header.index("Код категории")] for row in proposals[1:]} == {"tree"}
        assert proposals[1][header.index("Текст")].startswith("'=HYPERLINK")  # text, not a formula
        survey = list(book["Опрос «Срез мнений»"].values)
        assert len(survey) == 3, "one row per respondent"
        header = survey[0]
        assert "Как часто вы бываете в парке?" in header
        answers = {row[header.index("Как часто вы бываете в парке?")] for row in survey[1:]}
        assert answers == {"Каждую неделю", "Не бываю"}
        assert survey[1][header.index("Чего не хватает?")] == "Скамеек; Тени"
        assert {row[header.index("Канал")] for row in survey[1:]} == {"веб-чат", "Telegram"}
        assert all(isinstance(row[header.index("Завершена (UTC+9)")], datetime) for row in survey[1:])
    finally:
        await staff.close()


async def test_geojson_is_one_map_layer_per_category(app):
    staff = await log_in(app, "картограф", "staff")
    try:
        status, headers, body = await staff.download("/admin/exports/download", format="geojson", category="tree")
        assert status == 200 and headers["Content-Type"].startswith("application/geo+json")
        layer = json.loads(body)
        assert layer["type"] == "FeatureCollection" and layer["name"] == "Дерево (Я-дендролог)"
        assert [f["geometry"]["coordinates"] for f in layer["features"]] == [[118.3, 51.7], [118.32, 51.72]]
        assert all(f["properties"]["category"] == "Дерево (Я-дендролог)" and f["properties"]["category_key"] == "tree"
                   and "author_phone" not in f["properties"] for f in layer["features"])
        status, _, body = await staff.download("/admin/exports/download", format="geojson", category="idea")
        [idea] = json.loads(body)["features"]
        assert {k: idea["properties"][k] for k in ("number", "status", "status_key", "channel", "channel_key",
                                                    "created_at")} == {
            "number": "П-2", "status": "принято в проект", "status_key": "accepted", "channel": "веб-чат",
            "channel_key": "webchat", "created_at": "2026-12-02T06:20:00+09:00"}
        status, _, body = await staff.download("/admin/exports/download", format="json", status="accepted",
                                               q="скамейки")
        assert [item["text"] for item in json.loads(body)] == ["Поставить скамейки у фонтана"]
        status, _, body = await staff.download("/admin/exports/download", format="json", kind="survey:opinion")
        responses = json.loads(body)
        assert [r["q:visits"] for r in responses] == ["Каждую неделю", "Не бываю"]
        assert responses[0]["q:wishes"] == "Скамеек; Тени"
        assert "author_phone" not in responses[0]
    finally:
        await staff.close()


async def test_a_large_export_is_streamed_page_by_page(app):
    async with app.db.transaction() as tx:
        for number in range(2500):
            await tx.proposals.create(NewProposal(None, "webchat", None, "idea", f"Идея номер {number}"))
    chunks = [chunk async for chunk in csv_chunks(app.db.reader, Words.of(app.settings), "proposals",
                                                  ProposalFilter(), False)]
    assert len(chunks) == 1 + 3, "a header, then one chunk per page of 1,000 rows"
    assert sum(chunk.count(b"\n") for chunk in chunks) == 1 + 2505


def test_the_command_line_writes_the_same_export_with_a_progress_bar(tmp_path):
    import asyncio

    async def prepare():
        app = Application(test_settings(tmp_path))
        await app.start()
        await seed(app)
        await app.stop()
    asyncio.run(prepare())
    output = tmp_path / "trees.csv"
    environment = {**postgres.bot_environment(tmp_path / "souchastie.db"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "bot", "export", "csv", "--category", "tree", "-o", str(output)],
                          cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "[" + "#" * 30 + "] 2 из 2" in done.stderr and "Готово: 2 строки в файле" in done.stdout
    header, *rows = read_csv(output.read_bytes())
    assert len(rows) == 2 and "Телефон автора" not in header
    refused = subprocess.run([sys.executable, "-m", "bot", "export", "csv", "--kind", "residents"],
                             cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--personal" in refused.stderr
