"""«Конкурсные работы»: moderators approve or reject the works residents sent to contests, each
shown with its photo, text, category and age group; the author is told in their own chat.
Whoever may broadcast sends a contest's results to a topic's subscribers from the same page.

    /contests                           every contest, with how many works wait
    /contests/{key}?status=pending      its works waiting (tabs: approved, rejected)
    POST /contests/works/{id}/approve   (moderators)  POST …/reject with a reason (required)
    POST /contests/{key}/results        (broadcasts)  a broadcast of the results, then its page

The decision and the results are made by ``handlers.contest_moderation``, the functions the CLI's
``contests`` command calls too.
"""
from __future__ import annotations

from datetime import datetime, timezone

from aiohttp import web

from admin.app import Panel, panel, redirect, render
from admin.audit import record
from admin.numbers import page_number, path_id
from admin.roles import BROADCASTS, CONTENT, PROPOSALS, current_user, require
from admin.titles import CHANNEL_TITLES, WORK_STATUS_TITLES
from bot.core.content import text_in
from broadcasts import outbox
from broadcasts.audience import Audience
from broadcasts.templates import TemplateProblem
from handlers.contest_moderation import ReasonRequired, decide, results_broadcast
from handlers.contests_content import Contest
from storage.ports.content import ContentKind
from storage.ports.contests import STATUSES
from storage.ports.repositories import Repositories
from storage.statuses import WorkStatus

routes = web.RouteTableDef()
VIEW = (PROPOSALS, CONTENT, BROADCASTS)  # who sees the works; only PROPOSALS decides
TABS = {WorkStatus.PENDING: "Ждут проверки", WorkStatus.APPROVED: "Одобрены", WorkStatus.REJECTED: "Отклонены"}
PAGE_SIZE = 30
MAX_REASON = 500
# Offered under the reason field (the moderator may write any other): the usual ones in a
# children's drawing and essay contest.
QUICK_REASONS = (
    "Работа не по теме конкурса.",
    "Работа не подходит к выбранной номинации или возрастной группе.",
    "На фото плохо видно работу — пришлите, пожалуйста, фото получше.",
    "На фото видны личные данные (лицо ребёнка, адрес, телефон).",
    "Работа прислана повторно.",
)


def _title(contest: Contest) -> str:
    return text_in(contest.title, "ru")


async def _contest(request: web.Request, key: str) -> tuple[int, Contest]:
    found = await panel(request).db.reader.content.get(ContentKind.CONTESTS, key)
    if found is None:
        raise web.HTTPNotFound(text="Такого конкурса нет.")
    return found[0], Contest.model_validate_json(found[1])


@routes.get("/contests")
@require(*VIEW)
async def contests_page(request: web.Request) -> web.StreamResponse:
    rows = [(row, Contest.model_validate_json(row.definition))
            for row in await panel(request).db.reader.contests.overview()]
    return render(request, "contests_index.html", rows=rows, title=_title)


@routes.get(r"/contests/{contest:[a-z0-9_]{1,24}}")
@require(*VIEW)
async def works_page(request: web.Request) -> web.StreamResponse:
    p = panel(request)
    contest_id, contest = await _contest(request, request.match_info["contest"])
    status = request.query.get("status", WorkStatus.PENDING)
    if status not in STATUSES:
        status = WorkStatus.PENDING
    page = page_number(request, PAGE_SIZE)
    works = await p.db.reader.contests.submissions(contest_id, status, (page - 1) * PAGE_SIZE, PAGE_SIZE + 1)
    counts = next(row for row in await p.db.reader.contests.overview() if row.id == contest_id)
    # How many the results would reach: the topic's subscribers and the contest's entrants.
    topics = [(t.key, t.title_in("ru"), await outbox.count(p.db, Audience(topic=t.key, and_entrants_of=contest.key)))
              for t in p.settings.subscriptions.topics]
    voting_over = contest.voting_closes <= datetime.now(timezone.utc)
    return render(request, "contest_works.html", contest=contest, title=_title(contest), works=works[:PAGE_SIZE],
                  more=len(works) > PAGE_SIZE, page=page, tab=status, tabs=TABS, counts=counts,
                  categories={o.key: text_in(o.title, "ru") for o in contest.categories},
                  ages={o.key: text_in(o.title, "ru") for o in contest.age_groups},
                  channels=CHANNEL_TITLES, statuses=WORK_STATUS_TITLES, quick_reasons=QUICK_REASONS,
                  topics=topics, default_topic=_default_topic(topics),
                  voting_over=voting_over, voting_closes=contest.voting_closes)


def _default_topic(topics: list[tuple[str, str, int]]) -> str:
    keys = [key for key, _, _ in topics]
    return "results" if "results" in keys else (keys[0] if keys else "")


async def _decide(request: web.Request, status: WorkStatus) -> web.StreamResponse:
    p = panel(request)
    entry_id = path_id(request, "entry_id")
    form = await request.post()
    # A quick reason is a button of its own (one tap on a phone); a written one wins.
    reason = (str(form.get("reason", "")).strip() or str(form.get("quick_reason", "")).strip())[:MAX_REASON]
    work = await p.db.reader.contests.submission(entry_id)
    if work is None:
        raise web.HTTPNotFound(text="Такой работы нет.")
    definition = await p.db.reader.content.definition(ContentKind.CONTESTS, work.contest_id)
    contest_key = Contest.model_validate_json(definition).key
    tab = str(form.get("tab", WorkStatus.PENDING))
    back = f"/admin/contests/{contest_key}?status={tab if tab in STATUSES else WorkStatus.PENDING}"
    notice = ""

    async def build(tx: Repositories):
        nonlocal notice
        decision = await decide(tx, p.texts, entry_id, status, reason=reason, actor=current_user(request).username)
        if decision is None:
            return []
        notice = "contest_decided" if decision.messages else "contest_decided_untold"
        await record(tx, request, "contest.approve" if status == WorkStatus.APPROVED else "contest.reject",
                     f"работа №{entry_id}",
                     {"contest": contest_key, "from": decision.before, "to": status,
                      **({"reason": decision.work.moderation_reason} if status == WorkStatus.REJECTED else {}),
                      "author_told": bool(decision.messages)})
        return decision.messages

    try:
        await p.dispatcher.notify(build)
    except ReasonRequired:
        return render(request, "error.html", status=400, back=back,
                      message="Чтобы отклонить работу, напишите причину: автор её увидит.")
    raise redirect(back, notice=notice)


@routes.post("/contests/works/{entry_id:[0-9]+}/approve")
@require(PROPOSALS)
async def approve(request: web.Request) -> web.StreamResponse:
    return await _decide(request, WorkStatus.APPROVED)


@routes.post("/contests/works/{entry_id:[0-9]+}/reject")
@require(PROPOSALS)
async def reject(request: web.Request) -> web.StreamResponse:
    return await _decide(request, WorkStatus.REJECTED)


@routes.post(r"/contests/{contest:[a-z0-9_]{1,24}}/results")
@require(BROADCASTS)
async def send_results(request: web.Request) -> web.StreamResponse:
    p: Panel = panel(request)
    key = request.match_info["contest"]
    await _contest(request, key)
    topic = str((await request.post()).get("topic", ""))
    back = f"/admin/contests/{key}"
    if topic not in {t.key for t in p.settings.subscriptions.topics}:
        return render(request, "error.html", status=400, back=back, message="Выберите тему подписки из списка.")
    spec = await results_broadcast(p.db.reader, p.texts, key, topic)
    try:
        broadcast_id, recipients = await outbox.create(p.db, spec, created_by=current_user(request).username)
    except (outbox.BroadcastProblem, TemplateProblem) as problem:
        return render(request, "error.html", status=400, back=back, message=f"Рассылка не создана: {problem}")
    async with p.db.transaction() as tx:
        await tx.contests.results_announced(key)  # the public page shows them from now on
        await record(tx, request, "contest.results", key, {"broadcast": broadcast_id, "topic": topic,
                                                           "recipients": recipients})
    raise redirect(f"/admin/broadcasts/{broadcast_id}", notice="created")


@routes.get("/contests/photos/{key:[0-9a-f]{2}/[0-9a-f]{64}\\.[a-z]{3,4}}")
@require(*VIEW)
async def photo(request: web.Request) -> web.StreamResponse:
    """A work's photo: only a file that is some contest work's, to whoever may see the works."""
    p = panel(request)
    key = request.match_info["key"]
    if not await p.db.reader.contests.holds_photo(key):
        raise web.HTTPNotFound()
    try:
        path = p.attachments.path_of(key)
    except ValueError:
        raise web.HTTPNotFound() from None
    if not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Cache-Control": "private, max-age=86400"})
