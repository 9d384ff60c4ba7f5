"""«Опросы и конкурсы»: polls, quizzes, surveys, contests and episode series, edited as YAML.

Why YAML in a textarea rather than a form per field: the items have nested, repeated parts
(options, questions with skip logic, episodes) that would take a form builder to edit; the same
YAML is what ``python -m bot content load`` reads, so staff can move text between a file and the
panel. The text is checked by ``bot.content.load_content`` exactly as a file is — errors name the
line — and stored with ``storable`` / ``storable_series`` in one transaction, so a bad text
changes nothing. "Предпросмотр" shows how the first message of each item looks in a chat.
"""
from __future__ import annotations

import json
import os
import tempfile
from typing import Any

import yaml
from aiohttp import web

from admin.app import panel, redirect, render
from admin.audit import record
from admin.roles import CONTENT, require
from bot.content import ContentError, ContentFile, load_content, storable, storable_series
from bot.core.content import text_in
from storage.ports.content import ContentKind

routes = web.RouteTableDef()
KINDS = {ContentKind.POLLS: "Голосования", ContentKind.QUIZZES: "Викторины", ContentKind.SURVEYS: "Опросы",
         ContentKind.CONTESTS: "Конкурсы"}
LISTED = {**KINDS, "series": "Сериалы (эпизоды по расписанию)"}
MAX_YAML = 200_000
EXAMPLE = """polls:
  - key: park_name
    title: {ru: "Как назвать парк?"}
    kind: single
    opens: 2026-06-01T09:00:00+09:00
    closes: 2026-06-30T21:00:00+09:00
    options:
      - {key: urguy, title: {ru: "Ургуй"}}
      - {key: detsky, title: {ru: "Детский"}}
"""


def check(text: str, topics: set[str], time_zone: str) -> ContentFile:
    """The text as a content file, checked like one (ContentError names the lines); a series
    must name a configured subscription topic; a time without an offset is the town's."""
    if len(text) > MAX_YAML:
        raise ContentError(f"текст длиннее {MAX_YAML} символов")
    handle, name = tempfile.mkstemp(suffix=".yaml")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        return load_content(name, topics=topics, time_zone=time_zone)
    finally:
        os.unlink(name)


def _errors(error: ContentError) -> list[str]:
    """Problems without the temporary file's name, which means nothing to staff."""
    lines = []
    for line in str(error).splitlines():
        _, sep, rest = line.partition(".yaml:")
        lines.append(("строка " + rest) if sep else line)
    return lines


def preview(content: ContentFile) -> list[dict[str, Any]]:
    """What a resident sees first for each item: its title, its text and its buttons."""
    cards = []
    for poll in content.polls:
        cards.append({"kind": "Голосование", "text": text_in(poll.title, "ru") + (
            "\n\n" + text_in(poll.description, "ru") if poll.description else ""),
            "buttons": [text_in(o.title, "ru") for o in poll.options]})
    for quiz in content.quizzes:
        first = quiz.questions[0]
        cards.append({"kind": "Викторина", "text": text_in(quiz.title, "ru") + "\n\n" + text_in(first.text, "ru"),
                      "buttons": [text_in(o.title, "ru") for o in first.options]})
    for survey in content.surveys:
        first = survey.questions[0]
        intro = text_in(survey.intro, "ru") if survey.intro else ""
        cards.append({"kind": "Опрос", "text": "\n\n".join(filter(None, [text_in(survey.title, "ru"), intro,
                                                                          text_in(first.text, "ru")])),
                      "buttons": [text_in(o.title, "ru") for o in first.options]})
    for contest in content.contests:
        cards.append({"kind": "Конкурс", "text": text_in(contest.title, "ru") + (
            "\n\n" + text_in(contest.description, "ru") if contest.description else ""),
            "buttons": [text_in(c.title, "ru") for c in contest.categories]})
    for series in content.series:
        cards.append({"kind": "Сериал", "text": f"{series.key}: эпизодов {len(series.episodes)}", "buttons": []})
    return cards


async def _listing(request: web.Request) -> dict[str, list[dict[str, str]]]:
    reader = panel(request).db.reader
    listing = {}
    for kind in KINDS:
        items = [json.loads(definition) for definition in await reader.content.all(kind)]
        listing[kind] = [{"key": i["key"], "title": text_in(i.get("title") or {}, "ru"),
                          "opens": i.get("opens", ""), "closes": i.get("closes", "")} for i in items]
    listing["series"] = [{"key": s["key"], "title": text_in(s.get("title") or {}, "ru"),
                          "opens": s["episodes"][0]["air_at"] if s["episodes"] else "",
                          "closes": s["episodes"][-1]["air_at"] if s["episodes"] else ""}
                         for s in await reader.exports.series()]
    return listing


@routes.get("/content")
@require(CONTENT)
async def content_page(request: web.Request) -> web.StreamResponse:
    kind, key = request.query.get("kind", ""), request.query.get("key", "")
    text = EXAMPLE
    if kind == "series" and key:
        found_series = [s for s in await panel(request).db.reader.exports.series() if s["key"] == key]
        if not found_series:
            raise web.HTTPNotFound(text="нет такого сериала")
        text = yaml.safe_dump({"series": found_series}, allow_unicode=True, sort_keys=False, width=100)
    elif kind in KINDS and key:
        found = await panel(request).db.reader.content.get(ContentKind(kind), key)
        if found is None:
            raise web.HTTPNotFound(text="нет такого элемента")
        text = yaml.safe_dump({kind: [json.loads(found[1])]}, allow_unicode=True, sort_keys=False, width=100)
    return render(request, "content_forms.html", kinds=LISTED, listing=await _listing(request), text=text,
                  errors=[], cards=None)


@routes.post("/content")
@require(CONTENT)
async def content_save(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    text = str(form.get("yaml", "")).replace("\r\n", "\n")
    try:
        settings = panel(request).settings
        content = check(text, {topic.key for topic in settings.subscriptions.topics}, settings.project.time_zone)
    except ContentError as error:
        return render(request, "content_forms.html", kinds=LISTED, listing=await _listing(request), text=text,
                      errors=_errors(error), cards=None, status=400)
    if form.get("action") != "save":
        return render(request, "content_forms.html", kinds=LISTED, listing=await _listing(request), text=text,
                      errors=[], cards=preview(content))
    db = panel(request).db
    async with db.transaction() as tx:
        await tx.content.store(storable(content))
        await tx.episodes.store(storable_series(content))
        keys = [f"{kind}:{item.key}" for kind in (*KINDS, "series") for item in getattr(content, kind)]
        await record(tx, request, "content.save", ", ".join(keys)[:200])
    raise redirect("/admin/content", notice="saved")
