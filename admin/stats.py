"""The «Статистика» page: reach per channel and per source, proposals per week and per category,
poll results and survey summaries as inline SVG charts, the tag cloud and the weekly reports.

Everything is counted by SQLite (storage/statistics.py) when the page is opened, so the numbers
are never stale; only the tag cloud reads texts, and lemmatises them in a thread.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from admin.app import panel, render
from admin.charts import bar_chart
from admin.proposals import STATUS_TITLES
from admin.roles import STATISTICS, require
from admin.titles import CHANNEL_TITLES
from admin.tagcloud import cloud_html, count_forms, lemmas
from storage.repositories import Repositories

routes = web.RouteTableDef()
CLOUD_WORDS = 60


def _ru(texts: dict[str, str] | None, fallback: str) -> str:
    return (texts or {}).get("ru") or next(iter((texts or {}).values()), "") or fallback


async def poll_charts(reader: Repositories) -> list[dict[str, Any]]:
    """One chart per poll: how often each option was chosen (score polls: the average score)."""
    charts = []
    for key, definition_json in await reader.statistics.polls():
        definition = json.loads(definition_json)
        ballots, tally = await reader.statistics.poll_tally(key)
        scores = definition.get("kind") == "scores"
        rows = []
        for option in definition.get("options", []):
            chosen, total = tally.get(option["key"], (0, 0))
            value = round(total / chosen, 2) if scores and chosen else chosen
            rows.append((_ru(option.get("title"), option["key"]), value))
        title = _ru(definition.get("title"), key)
        charts.append({"title": title, "ballots": ballots, "scores": scores,
                       "chart": bar_chart(rows, title, unit=" из 5" if scores else "")})
    return charts


async def survey_summaries(reader: Repositories) -> list[dict[str, Any]]:
    """Per survey: responses started and completed, and a chart per closed question."""
    summaries = []
    for survey_id, key, definition_json in await reader.statistics.surveys():
        definition = json.loads(definition_json)
        started, completed = await reader.statistics.survey_counts(survey_id)
        questions = []
        for question in definition.get("questions", []):
            if question["type"] not in ("single", "multiple", "scale"):
                continue
            counts = await reader.statistics.survey_answers(survey_id, question["key"])
            if question["type"] == "scale":
                low = int(question.get("min") if question.get("min") is not None else 1)
                high = int(question.get("max") if question.get("max") is not None else 5)
                rows = [(str(n), counts.get(str(n), 0)) for n in range(low, high + 1)]
            else:
                rows = [(_ru(o.get("title"), o["key"]), counts.get(o["key"], 0)) for o in question.get("options", [])]
            text = _ru(question.get("text"), question["key"])
            questions.append({"text": text, "chart": bar_chart(rows, text)})
        summaries.append({"title": _ru(definition.get("title"), key), "key": key, "started": started,
                          "completed": completed, "questions": questions})
    return summaries


async def tag_cloud(reader: Repositories, since: str = "") -> list[tuple[str, int]]:
    forms = None
    async for page in reader.statistics.proposal_texts(since):
        forms = count_forms(page, forms)
    if not forms:
        return []
    counted = await asyncio.to_thread(lemmas, forms)
    return counted.most_common(CLOUD_WORDS)


@routes.get("/stats")
@require(STATISTICS)
async def stats_page(request: web.Request) -> web.StreamResponse:
    p = panel(request)
    reader = p.db.reader
    titles = {c.key: c.title_in("ru") for c in p.settings.proposals.categories}
    since = request.query.get("since", "")[:10]
    weeks = await reader.statistics.proposals_by_week(since)
    categories = await reader.statistics.proposals_by_category(since)
    words = await tag_cloud(reader, since)
    return render(
        request, "stats_index.html", since=since,
        by_channel=await reader.statistics.reach_by_channel(), channel_titles=CHANNEL_TITLES,
        by_source=await reader.statistics.reach_by_source(),
        weeks_chart=bar_chart([(week, n) for week, n in weeks], "Предложения по неделям"),
        categories_chart=bar_chart([(titles.get(k, k), n) for k, n in categories], "Предложения по категориям"),
        statuses=[(STATUS_TITLES.get(s, s), n) for s, n in await reader.statistics.proposals_by_status()],
        polls=await poll_charts(reader), surveys=await survey_summaries(reader),
        cloud=cloud_html(words), words=words, reports=await reader.statistics.reports())
