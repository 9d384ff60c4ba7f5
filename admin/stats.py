"""The «Статистика» page: reach per channel and per source; proposals per channel, per source
(a poster, or how an operator received one) and per reception point, per week and per category;
poll results and survey summaries as inline SVG charts, the tag cloud and the weekly reports.

Everything is counted by SQLite (storage/statistics.py) when the page is opened, so the numbers
are never stale; only the tag cloud reads texts, and lemmatises them in a thread.
"""
from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timezone
from typing import Any

from aiohttp import web

from admin.app import panel, render
from admin.charts import bar_chart
from admin.proposals import STATUS_TITLES
from admin.roles import STATISTICS, require
from admin.tagcloud import cloud_html, count_forms, lemmas
from admin.titles import CHANNEL_TITLES, OPERATOR_SOURCES
from bot.config import ProposalSettings
from bot.localtime import LocalTime
from storage.ports.repositories import Repositories
from storage.statuses import PollKind, QuestionType

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
        scores = definition.get("kind") == PollKind.SCORES
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
            if question["type"] not in (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.SCALE):
                continue
            counts = await reader.statistics.survey_answers(survey_id, question["key"])
            if question["type"] == QuestionType.SCALE:
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


async def proposal_breakdowns(reader: Repositories, settings: ProposalSettings,
                              since: str = "") -> dict[str, list[tuple[str, int]]]:
    """(title, proposals) per channel, per source and per reception point, spam left out. Every
    configured point is listed, those with no proposal too (a point that collects nothing is
    news); a point no longer configured, or the free text of an older entry, shows as stored."""
    channels = await reader.statistics.proposals_by("channel", since)
    sources = await reader.statistics.proposals_by("source", since)
    counted = dict(await reader.statistics.proposals_by("point", since))
    counted.pop("", None)
    points = [(point.title, counted.pop(point.key, 0)) for point in settings.reception_points]
    return {"channel": [(CHANNEL_TITLES.get(k, k), n) for k, n in channels],
            "source": [(OPERATOR_SOURCES.get(k, k) if k else "не указан", n) for k, n in sources],
            "point": points + sorted(counted.items(), key=lambda item: (-item[1], item[0]))}


async def tag_cloud(reader: Repositories, since: str = "") -> list[tuple[str, int]]:
    forms = None
    async for page in reader.statistics.proposal_texts(since):
        forms = count_forms(page, forms)
    if not forms:
        return []
    counted = await asyncio.to_thread(lemmas, forms)
    return counted.most_common(CLOUD_WORDS)


def _day(value: str) -> date | None:
    """«Начиная с» as typed: the town's calendar day, or None for an empty or unreadable one."""
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def week_offset(clock: LocalTime) -> int:
    """Minutes from UTC to the town's clock now, so weeks are counted from Monday 00:00 in the
    town (Russia keeps one offset all year since 2014)."""
    offset = clock.at(datetime.now(timezone.utc)).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


@routes.get("/stats")
@require(STATISTICS)
async def stats_page(request: web.Request) -> web.StreamResponse:
    p = panel(request)
    reader = p.db.reader
    titles = {c.key: c.title_in("ru") for c in p.settings.proposals.categories}
    day = _day(request.query.get("since", ""))
    since = p.clock.midnight(day) if day else ""
    weeks = await reader.statistics.proposals_by_week(since, week_offset(p.clock))
    categories = await reader.statistics.proposals_by_category(since)
    words = await tag_cloud(reader, since)
    return render(
        request, "stats_index.html", since=day.isoformat() if day else "",
        by_channel=await reader.statistics.reach_by_channel(), channel_titles=CHANNEL_TITLES,
        by_source=await reader.statistics.reach_by_source(),
        proposals_by=await proposal_breakdowns(reader, p.settings.proposals, since),
        weeks_chart=bar_chart([(week, n) for week, n in weeks], "Предложения по неделям"),
        categories_chart=bar_chart([(titles.get(k, k), n) for k, n in categories], "Предложения по категориям"),
        statuses=[(STATUS_TITLES.get(s, s), n) for s, n in await reader.statistics.proposals_by_status()],
        polls=await poll_charts(reader), surveys=await survey_summaries(reader),
        cloud=cloud_html(words), words=words, reports=await reader.statistics.reports())
