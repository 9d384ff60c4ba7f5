"""«Поиск по ответам и работам»: survey text answers and contest works found by their words in
any form (``storage.search``: «скамейка» finds «скамейки»), the way the proposal list searches.

Read on the reader connection; the first ``RESULTS`` of each kind are shown with how many there
are, since a query that finds more is better made narrower than paged through.
"""
from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from admin.app import panel, render
from admin.roles import STATISTICS, require
from admin.titles import WORK_STATUS_TITLES
from bot.core.content import text_in
from storage.ports.content import ContentKind

routes = web.RouteTableDef()
RESULTS = 50
QUERY_CHARACTERS = 200


def _ru(texts: dict[str, str] | None, fallback: str) -> str:
    return text_in(texts or {}, "ru") or fallback


def _contest_titles(definitions: list[str]) -> dict[str, str]:
    """Category and age-group keys of every contest → their Russian titles."""
    titles: dict[str, str] = {}
    for definition in map(json.loads, definitions):
        for item in [*definition.get("categories", []), *definition.get("age_groups", [])]:
            titles.setdefault(item["key"], _ru(item.get("title"), item["key"]))
    return titles


@routes.get("/stats/texts")
@require(STATISTICS)
async def texts_search(request: web.Request) -> web.StreamResponse:
    reader = panel(request).db.reader
    query = request.query.get("q", "")[:QUERY_CHARACTERS].strip()
    answers: list[dict[str, Any]] = []
    answers_total = works_total = 0
    works = []
    if query:
        found, answers_total = await reader.surveys.search(query, limit=RESULTS)
        for response in found:
            questions = {q["key"]: _ru(q.get("text"), q["key"]) for q in response.definition.get("questions", [])}
            answers.append({"survey": _ru(response.definition.get("title"), response.survey_key),
                            "completed_at": response.completed_at,
                            "answers": [(questions.get(key, key), text) for key, text in response.text_answers]})
        works, works_total = await reader.contests.search(query, limit=RESULTS)
    return render(request, "texts_search.html", q=query, answers=answers, answers_total=answers_total,
                  works=works, works_total=works_total, results=RESULTS, work_statuses=WORK_STATUS_TITLES,
                  titles=_contest_titles(await reader.content.all(ContentKind.CONTESTS)) if works else {})
