"""«Публичная страница» on a proposal's page: staff decide whether the proposal is shown at /public
(and in its open data), with which text and which public answer.

Nothing is public until staff say so. The text offered is the author's with names, phones and
e-mail already taken out (storage.redaction, as after /forget); staff read it, may shorten or
correct it, and publish. The answer sent to the author is not reused: it may greet them by name,
so the public answer is written for everyone. A change of the author's text later hides the
proposal again (migration 0023), so nobody's new words reach the page unread. Each decision is
in the audit log.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from admin.app import Panel, panel, redirect, render
from admin.audit import record
from admin.numbers import path_id
from admin.roles import PROPOSALS, require
from storage.ports.moderation import ProposalCard
from storage.redaction import redact

routes = web.RouteTableDef()
MAX_TEXT = 4000


async def context(p: Panel, card: ProposalCard) -> dict[str, Any]:
    """What the proposal's page shows of its public side: the publication, and the text to offer."""
    publication = await p.db.reader.public.publication(card.id)
    offered = publication.text if publication is not None and publication.text else redact(card.text)[0]
    return {"publication": publication, "public_text_offered": offered,
            "public_page": p.settings.public.enabled}


@routes.post("/proposals/{proposal_id:[0-9]+}/public")
@require(PROPOSALS)
async def publish(request: web.Request) -> web.StreamResponse:
    p = panel(request)
    proposal_id = path_id(request, "proposal_id")
    back = f"/admin/proposals/{proposal_id}"
    if await p.db.reader.public.publication(proposal_id) is None:
        raise web.HTTPNotFound(text="Такого предложения нет.")
    form = await request.post()
    public = form.get("public") == "1"
    text, answer = str(form.get("text", "")).strip(), str(form.get("answer", "")).strip()
    if public and not text:
        return render(request, "error.html", status=400, back=back,
                      message="Чтобы опубликовать предложение, оставьте его текст: на странице показывается он.")
    if len(text) > MAX_TEXT or len(answer) > MAX_TEXT:
        return render(request, "error.html", status=400, back=back,
                      message=f"Текст и ответ — не длиннее {MAX_TEXT} знаков каждый.")
    async with p.db.transaction() as tx:
        if await tx.public.publish(proposal_id, public, text, answer):
            await record(tx, request, "proposal.publish" if public else "proposal.unpublish",
                         f"{p.settings.proposals.receipt_prefix}{proposal_id}", {"length": len(answer)})
    raise redirect(back, "published" if public else "unpublished")
