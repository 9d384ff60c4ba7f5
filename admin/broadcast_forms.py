"""«Рассылки»: make a broadcast with a preview, then watch it go out on a live progress bar.

A broadcast is created through ``broadcasts.outbox.create`` — the broadcast row and one delivery
per recipient in one transaction — and the running bot's senders find it on their next idle
look; the panel never sends anything itself. The page's bar is refreshed by a small static
script (the panel's CSP allows no inline scripts) reading ``/admin/broadcasts/{id}/progress``.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from aiohttp import web

from admin.app import panel, redirect, render
from admin.audit import record
from admin.numbers import path_id
from admin.roles import BROADCASTS, current_user, require
from admin.titles import BROADCAST_STATUS_TITLES
from broadcasts import outbox
from broadcasts.audience import Audience
from broadcasts.templates import TemplateProblem, render as render_text

routes = web.RouteTableDef()
STATUS_TITLES = BROADCAST_STATUS_TITLES
SAMPLE_NAME = "Анна"


def _spec(form) -> tuple[outbox.BroadcastSpec, str]:
    """The form as a BroadcastSpec and the status asked for; BroadcastProblem on bad input."""
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
            send_at = datetime.fromisoformat(str(form["send_at"]).strip())
        except ValueError:
            raise outbox.BroadcastProblem("время отправки: например 2026-06-25T08:00+09:00") from None
    status = {"draft": "draft", "send": None}.get(str(form.get("action", "")), "draft")
    return outbox.BroadcastSpec(title=title, texts=texts, audience=audience, topic=topic, send_at=send_at), status


def _page(request: web.Request, **context) -> dict:
    p = panel(request)
    return {"topics": [(t.key, t.title_in("ru")) for t in p.settings.subscriptions.topics],
            "channels": sorted(p.dispatcher.channels), "statuses": STATUS_TITLES, "form": {}, "error": "",
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
        spec, status = _spec(form)
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


@routes.get("/broadcasts/{id:[0-9]+}")
@require(BROADCASTS)
async def broadcast_page(request: web.Request) -> web.StreamResponse:
    row, progress = await _progress(request)
    return render(request, "broadcast_view.html", row=row, progress=progress, statuses=STATUS_TITLES,
                  audience=Audience(**row.audience).describe())


@routes.get("/broadcasts/{id:[0-9]+}/progress")
@require(BROADCASTS)
async def broadcast_progress(request: web.Request) -> web.StreamResponse:
    _, progress = await _progress(request)
    return web.json_response({**asdict(progress), "finished": progress.finished,
                              "status_title": STATUS_TITLES.get(progress.status, progress.status)})


@routes.post("/broadcasts/{id:[0-9]+}/{action:(pause|resume|cancel)}")
@require(BROADCASTS)
async def broadcast_control(request: web.Request) -> web.StreamResponse:
    broadcast_id, action = path_id(request, "id"), request.match_info["action"]
    db = panel(request).db
    changed = await getattr(outbox, action)(db, broadcast_id)
    if changed not in (None, False):
        async with db.transaction() as tx:
            await record(tx, request, f"broadcast.{action}", str(broadcast_id))
    raise redirect(f"/admin/broadcasts/{broadcast_id}", notice="saved" if changed not in (None, False) else "")
