"""«Рассылки»: make a broadcast with a preview, then watch it go out on a live progress bar.

A broadcast is created through ``broadcasts.outbox.create`` — the broadcast row and one delivery
per recipient in one transaction — and the running bot's senders find it on their next idle
look; the panel never sends anything itself. The page's bar, its state and its buttons are
refreshed by a small static script (the panel's CSP allows no inline scripts) reading
``/admin/broadcasts/{id}/progress``, so a broadcast that ends while the page is open loses its
«Пауза» and «Отменить» at once; a button pressed on a page older than the broadcast's state is
answered with what the state is now (409), and changes nothing.
"""
from __future__ import annotations

import logging
from dataclasses import asdict

from aiohttp import web

from admin.app import Panel, panel, redirect, render
from admin.audit import record
from admin.numbers import path_id
from admin.roles import BROADCASTS, current_user, require
from admin.titles import BROADCAST_STATUS_TITLES, CHANNEL_TITLES, LANGUAGE_TITLES, titled
from bot.localtime import LocalTime
from broadcasts import outbox
from broadcasts.audience import Audience
from broadcasts.templates import TemplateProblem, render as render_text, validate
from storage.statuses import BroadcastStatus

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
STATUS_TITLES = BROADCAST_STATUS_TITLES
SAMPLE_NAME = "Анна"  # the resident the examples are rendered for
# What each control does, for the answer to a button pressed when it no longer can.
CONTROL_TITLES = {"pause": "поставить на паузу", "resume": "продолжить", "cancel": "отменить"}
# what each control button records in the audit log (one literal key each, titled in admin/audit_titles.py)
CONTROL_ACTIONS = {"pause": "broadcast.pause", "resume": "broadcast.resume", "cancel": "broadcast.cancel"}


def _spec(form, clock: LocalTime) -> tuple[outbox.BroadcastSpec, str]:
    """The form as a BroadcastSpec and the status asked for; BroadcastProblem on bad input. The
    send time is typed in the town's wall clock."""
    title = str(form.get("title", "")).strip()
    if not title:
        raise outbox.BroadcastProblem("укажите название рассылки")
    texts = {lang: str(form.get(f"text_{lang}", "")).replace("\r\n", "\n").strip() for lang in ("ru", "en")}
    texts = {lang: text for lang, text in texts.items() if text}
    topic = str(form.get("topic", "")) or None
    audience = Audience(topic=topic, channels=[str(c) for c in form.getall("channels", [])],
                        source=str(form.get("source", "")).strip() or None)
    send_at = None
    if str(form.get("send_at", "")).strip():
        try:
            send_at = clock.typed(str(form["send_at"]))
        except ValueError:
            raise outbox.BroadcastProblem("время отправки: например 25.06.2026 08:00 (время местное)") from None
    status = {"draft": BroadcastStatus.DRAFT, "send": None}.get(str(form.get("action", "")), BroadcastStatus.DRAFT)
    return outbox.BroadcastSpec(title=title, texts=texts, audience=audience, topic=topic, send_at=send_at), status


def describe_audience(p: Panel, audience: Audience) -> str:
    """Who a broadcast goes to, with the topics and channels by their titles."""
    return audience.describe(topics={t.key: t.title_in("ru") for t in p.settings.subscriptions.topics},
                             channels=CHANNEL_TITLES)


def _page(request: web.Request, **context) -> dict:
    p = panel(request)
    return {"topics": [(t.key, t.title_in("ru")) for t in p.settings.subscriptions.topics],
            "channels": titled(sorted(p.dispatcher.channels), CHANNEL_TITLES), "statuses": STATUS_TITLES,
            "form": {}, "error": "",
            "previews": None, "audience_count": None, **context}


@routes.get("/broadcasts")
@require(BROADCASTS)
async def broadcasts_page(request: web.Request) -> web.StreamResponse:
    recent = await panel(request).db.reader.broadcasts.recent(30)
    return render(request, "broadcast_forms.html", **_page(request, recent=recent))


@routes.post("/broadcasts")
@require(BROADCASTS)
async def broadcasts_create(request: web.Request) -> web.StreamResponse:
    p = panel(request)
    form = await request.post()
    recent = await p.db.reader.broadcasts.recent(30)
    values = {key: str(value) for key, value in form.items() if key != "csrf"}
    values["channels"] = [str(c) for c in form.getall("channels", [])]
    try:
        spec, status = _spec(form, p.clock)
        validate(spec.texts)  # its reasons name the problem in words; a bare rendering would only raise
        previews = {lang: render_text(spec.texts, lang, SAMPLE_NAME) for lang in spec.texts}
        if form.get("action") == "preview":
            return render(request, "broadcast_forms.html", **_page(
                request, recent=recent, form=values, previews=previews,
                audience_count=await outbox.count(p.db, spec.audience)))
        user = current_user(request)
        broadcast_id, recipients = await outbox.create(p.db, spec, created_by=user.username if user else "",
                                                       status=status)
    except (outbox.BroadcastProblem, TemplateProblem) as problem:
        return render(request, "broadcast_forms.html", status=400,
                      **_page(request, recent=recent, form=values, error=str(problem)))
    async with p.db.transaction() as tx:
        await record(tx, request, "broadcast.create", str(broadcast_id), {"recipients": recipients,
                                                                          "status": status or "now"})
    raise redirect(f"/admin/broadcasts/{broadcast_id}", notice="created")


async def _progress(request: web.Request) -> tuple[object, outbox.Progress]:
    broadcast_id = path_id(request, "id")
    db = panel(request).db
    row = await db.reader.broadcasts.get(broadcast_id)
    progress = await outbox.progress(db, broadcast_id)
    if row is None or progress is None:
        raise web.HTTPNotFound(text="нет такой рассылки")
    return row, progress


def _examples(texts: dict[str, str]) -> list[tuple[str, str, str]]:
    """(language's title, the stored template, the text SAMPLE_NAME gets), through the sandbox
    that sends; a template that no longer renders shows its problem instead."""
    shown = []
    for language, source in texts.items():
        try:
            example = render_text(texts, language, SAMPLE_NAME)
        except TemplateProblem as problem:
            example = f"не получается показать: {problem}"
        shown.append((LANGUAGE_TITLES.get(language, language), source, example))
    return shown


def _view(request: web.Request, row, progress: outbox.Progress, *, error: str = "", status: int = 200):
    return render(request, "broadcast_view.html", status=status, row=row, progress=progress,
                  statuses=STATUS_TITLES, controls=outbox.CONTROLS, examples=_examples(row.texts),
                  sample_name=SAMPLE_NAME, error=error,
                  audience=describe_audience(panel(request), Audience(**row.audience)))


@routes.get("/broadcasts/{id:[0-9]+}")
@require(BROADCASTS)
async def broadcast_page(request: web.Request) -> web.StreamResponse:
    row, progress = await _progress(request)
    return _view(request, row, progress)


@routes.get("/broadcasts/{id:[0-9]+}/progress")
@require(BROADCASTS)
async def broadcast_progress(request: web.Request) -> web.StreamResponse:
    _, progress = await _progress(request)
    return web.json_response({**asdict(progress), "finished": progress.finished, "percent": progress.percent,
                              "status_title": STATUS_TITLES.get(progress.status, progress.status)})


@routes.post("/broadcasts/{id:[0-9]+}/{action:(pause|resume|cancel)}")
@require(BROADCASTS)
async def broadcast_control(request: web.Request) -> web.StreamResponse:
    broadcast_id, action = path_id(request, "id"), request.match_info["action"]
    await _progress(request)  # 404 for a broadcast that does not exist
    db = panel(request).db
    changed = await getattr(outbox, action)(db, broadcast_id)
    if changed in (None, False):  # its status had changed since the page was shown: say to what
        row, progress = await _progress(request)
        state = STATUS_TITLES.get(progress.status, progress.status)
        log.info("рассылка %s: нельзя %s, её состояние — %s", broadcast_id, CONTROL_TITLES[action], state)
        return _view(request, row, progress, status=409,
                     error=f"Рассылку №{broadcast_id} нельзя {CONTROL_TITLES[action]}: её состояние сейчас —"
                           f" «{state}». Ничего не изменено.")
    async with db.transaction() as tx:
        await record(tx, request, CONTROL_ACTIONS[action], str(broadcast_id))
    raise redirect(f"/admin/broadcasts/{broadcast_id}", notice="saved")
