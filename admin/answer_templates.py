"""Answer templates: the answers moderators give again and again, kept once and reused.

On a proposal's page each template is a link that puts its text into the answer box (no script
needed), where it can be adjusted before sending.
"""
from __future__ import annotations

from aiohttp import web

from admin.app import panel, redirect, render
from admin.audit import record
from admin.numbers import path_id
from admin.roles import PROPOSALS, require
from bot.numbers import whole_number

routes = web.RouteTableDef()


@routes.get("/answers")
@require(PROPOSALS)
async def templates_page(request: web.Request) -> web.StreamResponse:
    templates = await panel(request).db.reader.moderation.templates()
    return render(request, "answers.html", templates=templates, error="")


@routes.post("/answers")
@require(PROPOSALS)
async def save(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    title, text = str(form.get("title", "")).strip(), str(form.get("text", "")).strip()
    if not title or not text or len(title) > 200 or len(text) > 4000:
        templates = await panel(request).db.reader.moderation.templates()
        return render(request, "answers.html", status=400, templates=templates,
                      error="Нужны название (до 200 знаков) и текст (до 4000 знаков).")
    async with panel(request).db.transaction() as tx:
        template_id = await tx.moderation.save_template(whole_number(form.get("id")), title, text)
        await record(tx, request, "template.save", title, {"id": template_id})
    raise redirect("/admin/answers", "saved")


@routes.post("/answers/{template_id:[0-9]+}/delete")
@require(PROPOSALS)
async def delete(request: web.Request) -> web.StreamResponse:
    template_id = path_id(request, "template_id")
    async with panel(request).db.transaction() as tx:
        await tx.moderation.delete_template(template_id)
        await record(tx, request, "template.delete", str(template_id))
    raise redirect("/admin/answers", "saved")
