"""Exports as staff download them from the panel and the command line: the filters they chose,
no personal data unless their role may see it, no formula that runs in a spreadsheet, a map
layer per category, and survey responses one row per respondent."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from admin.exports import csv_chunks
from bot.app import Application
from bot.content import load_content, storable
from storage.moderation import ProposalFilter
from storage.proposals import NewProposal
from tests.drivers import ROOT, test_settings
from tests.drivers.staff_panel import log_in

SURVEY = Path(__file__).parent / "fixtures" / "content" / "survey.yaml"
PHONE = "+79140000001"


async def seed(app: Application) -> None:
    """Two residents with names and phones, five proposals (one with a formula), three survey
    responses."""
    async with app.db.transaction() as tx:
        anna = await tx.residents.get_or_create("webchat", "anna")
        await tx.residents.record_consent(anna.id, "v1", "Анна Петрова")
        await tx.residents._db.execute("UPDATE residents SET phone = ? WHERE id = ?", (PHONE, anna.id))
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
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


async def test_an_admin_downloads_proposals_with_authors_and_formulas_made_harmless(app):
    admin = await log_in(app, "ольга", "admin")
    try:
        status, headers, body = await admin.download("/admin/exports/download", format="csv", kind="proposals",
                                                     personal="1")
        assert status == 200 and 'filename="proposals.csv"' in headers["Content-Disposition"]
        header, *rows = read_csv(body)
        assert header[:3] == ["Номер", "Дата", "Канал"] and "Широта" in header and "Долгота" in header
        assert len(rows) == 5
        texts = [row[header.index("Текст")] for row in rows]
        assert texts[0].startswith("'=HYPERLINK") and texts[3] == "'-1 фонарь не горит" and texts[4].startswith("'@")
        assert rows[0][header.index("Телефон автора")] == "'" + PHONE and rows[0][header.index("Имя автора")] == "Анна Петрова"
        assert rows[0][header.index("Широта")] == "51.7" and rows[0][header.index("Долгота")] == "118.3"
        _, log = await admin.get("/admin/audit")
        assert "export" in log
    finally:
        await admin.close()


async def test_a_moderator_exports_without_personal_data_and_cannot_ask_for_it(app):
    moderator = await log_in(app, "модератор", "moderator")
    try:
        status, _, body = await moderator.download("/admin/exports/download", format="csv", kind="proposals")
        assert status == 200
        assert PHONE.encode() not in body and "Петрова".encode() not in body and "Телефон" not in body.decode("utf-8-sig")
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
        assert book.sheetnames == ["Предложения", "Опрос opinion"]  # no residents sheet without the right
        proposals = list(book["Предложения"].values)
        assert len(proposals) == 3 and {row[4] for row in proposals[1:]} == {"tree"}
        assert proposals[1][6].startswith("'=HYPERLINK")  # text, not a formula
        survey = list(book["Опрос opinion"].values)
        assert len(survey) == 3, "one row per respondent"
        header = survey[0]
        assert "Как часто вы бываете в парке?" in header
        answers = {row[header.index("Как часто вы бываете в парке?")] for row in survey[1:]}
        assert answers == {"weekly", "never"} and survey[1][header.index("Чего не хватает?")] == "benches; shade"
    finally:
        await staff.close()


async def test_geojson_is_one_map_layer_per_category(app):
    staff = await log_in(app, "картограф", "staff")
    try:
        status, headers, body = await staff.download("/admin/exports/download", format="geojson", category="tree")
        assert status == 200 and headers["Content-Type"].startswith("application/geo+json")
        layer = json.loads(body)
        assert layer["type"] == "FeatureCollection" and layer["name"] == "tree"
        assert [f["geometry"]["coordinates"] for f in layer["features"]] == [[118.3, 51.7], [118.32, 51.72]]
        assert all(f["properties"]["category"] == "tree" and "author_phone" not in f["properties"]
                   for f in layer["features"])
        status, _, body = await staff.download("/admin/exports/download", format="json", status="new", q="скамейки")
        assert [item["text"] for item in json.loads(body)] == ["Поставить скамейки у фонтана"]
        status, _, body = await staff.download("/admin/exports/download", format="json", kind="survey:opinion")
        responses = json.loads(body)
        assert [r["q:visits"] for r in responses] == ["weekly", "never"] and responses[0]["q:wishes"] == "benches; shade"
        assert "author_phone" not in responses[0]
    finally:
        await staff.close()


async def test_a_large_export_is_streamed_page_by_page(app):
    async with app.db.transaction() as tx:
        for number in range(2500):
            await tx.proposals.create(NewProposal(None, "webchat", None, "idea", f"Идея номер {number}"))
    chunks = [chunk async for chunk in csv_chunks(app.db.reader, "proposals", ProposalFilter(), False)]
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
    environment = {"SOUCHASTIE_STORAGE_PATH": str(tmp_path / "souchastie.db"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "bot", "export", "csv", "--category", "tree", "-o", str(output)],
                          cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "[" + "#" * 30 + "] 2 из 2" in done.stderr and "Готово: 2 строки в файле" in done.stdout
    header, *rows = read_csv(output.read_bytes())
    assert len(rows) == 2 and "Телефон автора" not in header
    refused = subprocess.run([sys.executable, "-m", "bot", "export", "csv", "--kind", "residents"],
                             cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--personal" in refused.stderr
