"""Staff read a survey's waves side by side: the panel's survey page (a chart and a table of
counts and shares per wave, averages, text answers per wave, in the town's time) and the XLSX
export (a sheet per wave and «Динамика», the trend per question), audited as every export."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import openpyxl
import pytest

from bot.app import Application
from storage.ports.content import ContentKind
from tests.drivers import load_content_into, test_settings
from tests.drivers.staff_panel import log_in
from tests.test_survey_waves import waves_file

WAVE_ONE = [(4, "partly", "Темно у пруда"), (5, "partly", None), (3, "not_safe", "Нет фонарей на аллее")]
WAVE_TWO = [(2, "yes_safe", "Поставили фонари"), (2, "partly", None)]
FIRST_OPENED = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=3)


@pytest.fixture
async def app(tmp_path):
    application = Application(test_settings(tmp_path))
    await application.start()
    await load_content_into(application, waves_file(tmp_path, FIRST_OPENED, FIRST_OPENED + timedelta(days=2),
                                                     lasts="1 days"))
    async with application.db.transaction() as tx:
        survey_id = (await tx.content.get(ContentKind.SURVEYS, "pulse"))[0]
        for wave, answers in ((1, WAVE_ONE), (2, WAVE_TWO)):
            for number, (mood, safe, comment) in enumerate(answers):
                resident = await tx.residents.get_or_create("vk", f"{number}")
                response = await tx.surveys.begin(survey_id, resident.id, "vk", "mood", wave=wave)
                response.answers = {"mood": mood, "safe": safe} | ({"comment": comment} if comment else {})
                response.completed = True
                await tx.surveys.save(response)
    try:
        yield application
    finally:
        await application.stop()


async def test_the_survey_page_sets_the_waves_side_by_side_per_question(app):
    staff = await log_in(app, "аналитик", "staff")
    try:
        _, stats = await staff.get("/admin/stats")
        assert 'href="/admin/surveys/pulse"' in stats
        status, text = await staff.get("/admin/surveys/pulse")
        assert status == 200
        assert "<th scope=\"col\">Волна 1</th><th scope=\"col\">Волна 2</th>" in text
        opened = app.settings.project.clock.text(FIRST_OPENED)
        assert f">{opened}</time>" in text  # the town's clock
        assert '<th scope="row">Не везде</th><td>2 (66.7 %)</td><td>1 (50 %)</td>' in text
        assert '<th scope="row">Нет</th><td>1 (33.3 %)</td><td>0 (0 %)</td>' in text
        assert '<th scope="row">Среднее</th><td>4.0</td><td>2.0</td>' in text
        assert '<th scope="row">Ответили на вопрос</th><td>3</td><td>2</td>' in text
        assert text.count('<svg class="chart" role="img"') == 2  # mood (per scale value) and safe; text has none
        assert "<title>Чувствуете ли вы себя в парке в безопасности вечером?: доля ответивших по волнам</title>" in text
        wave_one, wave_two = text.split("Волна 1: ответы")[1].split("Волна 2: ответы")
        assert "Темно у пруда" in wave_one and "Нет фонарей на аллее" in wave_one and "Поставили" not in wave_one
        assert "Поставили фонари" in wave_two
        assert (await staff.get("/admin/surveys/nosuch"))[0] == 404
    finally:
        await staff.close()


async def test_the_xlsx_has_a_sheet_per_wave_and_the_trend(app, tmp_path):
    staff = await log_in(app, "аналитик", "staff")
    admin = await log_in(app, "админ", "admin")
    try:
        status, _, body = await staff.download("/admin/exports/download", format="xlsx", kind="survey:pulse")
        assert status == 200
        path = tmp_path / "pulse.xlsx"
        path.write_bytes(body)
        book = openpyxl.load_workbook(path, read_only=True)
        day = app.settings.project.clock.text(FIRST_OPENED, "%d.%m.%Y")
        assert len(book.sheetnames) == 3 and book.sheetnames[0].startswith(f"Волна 1 ({day}) Срез")
        assert book.sheetnames[1].startswith("Волна 2 (") and book.sheetnames[2].startswith("Динамика Срез мнений")
        first, second = (list(book[name].values) for name in book.sheetnames[:2])
        assert len(first) == 1 + len(WAVE_ONE) and len(second) == 1 + len(WAVE_TWO)
        header = first[0]
        assert {row[header.index("Волна")] for row in first[1:]} == {1}
        assert sorted(row[header.index("Чувствуете ли вы себя в парке в безопасности вечером?")]
                      for row in second[1:]) == ["Да", "Не везде"]
        trend = list(book[book.sheetnames[2]].values)
        header = trend[0]
        assert header[:2] == ("Вопрос", "Ответ") and header[3] == "Волна 1, %" and header[5] == "Волна 2, %"
        rows = {(row[0][:12], row[1]): row[2:] for row in trend[1:]}
        assert rows[("Чувствуете л", "Не везде")] == (2, 66.7, 1, 50)
        assert rows[("Насколько ва", "Среднее")][0::2] == (4, 2)
        assert rows[("Насколько ва", "Ответили на вопрос")][0::2] == (3, 2)
        _, log = await admin.get("/admin/audit")
        assert "XLSX: ответы на опрос «pulse»" in log
    finally:
        await staff.close()
        await admin.close()
