"""«Опрос по волнам»: one survey's waves side by side, question by question — a chart and a table
of counts and shares per wave, the average of scales and numbers, the newest text answers of each
wave — so that the «срез мнений» repeated every few months reads as a trend. What is counted is
``admin/survey_trend.py``, shared with the XLSX export's «Динамика» sheet.
"""
from __future__ import annotations

from aiohttp import web

from admin.app import panel, render
from admin.charts import grouped_bar_chart
from admin.roles import STATISTICS, require
from admin.survey_trend import survey_trend
from storage.ports.content import ContentKind

routes = web.RouteTableDef()


@routes.get("/surveys/{survey}")
@require(STATISTICS)
async def survey_page(request: web.Request) -> web.StreamResponse:
    p = panel(request)
    key = request.match_info["survey"]
    found = await p.db.reader.content.get(ContentKind.SURVEYS, key)
    if found is None:
        raise web.HTTPNotFound(text="Такого опроса нет.")
    trend = await survey_trend(p.db.reader, found[0], found[1], p.settings.surveys.text_answers_shown)
    series = [wave.title for wave in trend.waves]
    charts = {}
    for question in trend.questions:
        if question.answers:
            charts[question.key] = grouped_bar_chart(
                [(title, [cell.percent for cell in cells]) for title, cells in question.answers], series,
                f"{question.text}: доля ответивших по волнам", unit=" %")
        elif question.averages:
            charts[question.key] = grouped_bar_chart(
                [("Среднее", [value or 0 for value in question.averages])], series,
                f"{question.text}: среднее по волнам")
    return render(request, "survey_waves.html", trend=trend, charts=charts)
