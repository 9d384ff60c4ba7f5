"""Proposals for moderators and experts: the list with its filters, and a page per proposal.

The list's filters live in the query string (``filters_from``), so a filtered list can be
bookmarked, sent to a colleague, and exported as it is shown. Proposals hidden as spam appear
only when that status is chosen. The changes (status, answers, questions, opinions, bulk
actions) are in admin/proposal_actions.py.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Mapping
from urllib.parse import urlencode

from aiohttp import web

from admin import publishing
from admin.app import panel, render
from admin.numbers import page_number, path_id
from admin.roles import OPINIONS, PERSONAL_DATA, PROPOSALS, can, current_user, require
from admin.titles import CHANNEL_TITLES, OPERATOR_SOURCES, STATUS_TITLES, VERDICT_TITLES
from storage.ports.moderation import STATUSES, VERDICTS, ProposalFilter
from storage.statuses import SET_ASIDE, ProposalEventKind, Verdict

routes = web.RouteTableDef()
PAGE_SIZE = 50
# The list's filter fields in the query string (filters_from reads each).
FILTER_FIELDS = ("q", "status", "category", "channel", "source", "from", "to", "photo", "location", "correction")

EVENT_TITLES = {ProposalEventKind.STATUS: "статус", ProposalEventKind.ANSWER: "ответ автору",
                ProposalEventKind.QUESTION: "вопрос автору", ProposalEventKind.CORRECTION: "исправление от автора",
                ProposalEventKind.OPINION: "заключение эксперта", ProposalEventKind.MERGED: "присоединён дубликат",
                ProposalEventKind.ENTERED: "принято оператором",
                ProposalEventKind.ERASED: "текст, место и фото удалены по просьбе автора",
                ProposalEventKind.SMS: "SMS автору",
                ProposalEventKind.AUTHOR_ERASED: "данные автора удалены по его просьбе"}


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def filters_from(query: Mapping[str, str], categories: set[str] | None = None, *, time_zone: str) -> ProposalFilter:
    """The list's filters from a query string; anything unknown is ignored, never an error. Dates
    are the town's calendar days (``time_zone``, the project's)."""
    status = query.get("status", "")
    category = query.get("category", "")
    return ProposalFilter(
        status=status if status in STATUSES else "",
        category=category if categories is None or category in categories else "",
        channel=query.get("channel", "")[:32], source=query.get("source", "")[:64],
        date_from=_date(query.get("from", "")), date_to=_date(query.get("to", "")),
        with_photo=query.get("photo") == "1", with_location=query.get("location") == "1",
        awaiting_correction=query.get("correction") == "1", search=query.get("q", "")[:200],
        time_zone=time_zone)


def category_titles(request: web.Request) -> dict[str, str]:
    return {c.key: c.title_in("ru") for c in panel(request).settings.proposals.categories}


def titles(request: web.Request) -> dict[str, dict[str, str]]:
    return {"status": STATUS_TITLES, "verdict": VERDICT_TITLES, "channel": CHANNEL_TITLES,
            "event": EVENT_TITLES, "category": category_titles(request), "source": OPERATOR_SOURCES,
            "point": {point.key: point.title for point in panel(request).settings.proposals.reception_points}}


@routes.get("/proposals")
@require(PROPOSALS, OPINIONS)
async def proposal_list(request: web.Request) -> web.StreamResponse:
    p = panel(request)
    categories = category_titles(request)
    filters = filters_from(request.query, set(categories), time_zone=p.settings.project.time_zone)
    page = page_number(request, PAGE_SIZE)
    rows, total = await p.db.reader.moderation.search(filters, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    query = defaultdict(str, {k: v for k, v in request.query.items() if k not in ("page", "notice") and v})
    # The filters in force, counted on the fold's title; a phone shows the fold open only then.
    active = sum(1 for key in FILTER_FIELDS if query[key])
    return render(request, "proposals_list.html", rows=rows, total=total, page=page,
                  pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), query=query, query_string=urlencode(query),
                  facets=await p.db.reader.moderation.facets(), titles=titles(request),
                  statuses=STATUSES, prefix=p.settings.proposals.receipt_prefix, active_filters=active,
                  exports_here="/admin/exports" in p.paths and can(current_user(request), "exports"))


@routes.get("/proposals/{proposal_id:[0-9]+}")
@require(PROPOSALS, OPINIONS)
async def proposal_page(request: web.Request) -> web.StreamResponse:
    p = panel(request)
    proposal_id = path_id(request, "proposal_id")
    card = await p.db.reader.moderation.card(proposal_id)
    if card is None:
        raise web.HTTPNotFound(text="Такого предложения нет.")
    user = current_user(request)
    author = None
    if can(user, PERSONAL_DATA) and card.resident_id is not None:
        author = await p.db.reader.residents.get(card.resident_id)
    templates = await p.db.reader.moderation.templates() if can(user, PROPOSALS) else []
    chosen = request.query.get("template", "")
    prefill = next((t.text for t in templates if str(t.id) == chosen), "")
    mine = next((o for o in card.opinions if o.user_id == user.id), None)
    suggested_question = next((o.comment for o in card.opinions
                               if o.verdict == Verdict.NEEDS_CORRECTION and o.comment), "")
    limits = p.settings.proposals
    duplicates = [] if card.status in SET_ASIDE or not limits.duplicates_limit else \
        await p.db.reader.similar.for_moderator(card.id, limit=limits.duplicates_limit,
                                                threshold=limits.duplicates_threshold)
    return render(request, "proposal_page.html", card=card, author=author, templates=templates, prefill=prefill,
                  duplicates=duplicates, supports=await p.db.reader.supports.count(card.id),
                  my_opinion=mine, suggested_question=suggested_question, titles=titles(request),
                  statuses=STATUSES, verdicts=VERDICTS, number=f"{p.settings.proposals.receipt_prefix}{card.id}",
                  prefix=p.settings.proposals.receipt_prefix, **await publishing.context(p, card))


@routes.get("/photos/{key:[0-9a-f]{2}/[0-9a-f]{64}\\.[a-z]{3,4}}")
@require(PROPOSALS, OPINIONS)
async def photo(request: web.Request) -> web.StreamResponse:
    try:
        path = panel(request).attachments.path_of(request.match_info["key"])
    except ValueError:
        raise web.HTTPNotFound() from None
    if not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Cache-Control": "private, max-age=86400"})
