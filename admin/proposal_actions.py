"""Moderation steps on proposals: status, answer, question to the author, expert opinion, bulk.

Every step ends with a redirect to the page it came from (so a reload does not repeat it); a
step that cannot be done gets a 400 page that says why and changes nothing.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode

from aiohttp import web

from admin import notices
from admin.app import panel, redirect, render
from admin.audit import record
from admin.numbers import path_id
from admin.roles import OPINIONS, PROPOSALS, current_user, require
from bot.numbers import whole_number
from storage.ports.moderation import STATUSES, VERDICTS
from storage.statuses import SET_ASIDE, ProposalStatus, Verdict

routes = web.RouteTableDef()
MAX_TEXT = 4000
BULK_LIMIT = 500
NUMBER = re.compile(r"([0-9]+)\s*\Z")  # the number at the end of "П-17"


def refused(request: web.Request, message: str, back: str) -> web.Response:
    return render(request, "error.html", status=400, message=message, back=back)


def _proposal_id(request: web.Request) -> int:
    return path_id(request, "proposal_id")


async def _existing(request: web.Request, proposal_id: int) -> None:
    if not await panel(request).db.reader.moderation.existing([proposal_id]):
        raise web.HTTPNotFound(text="Такого предложения нет.")


async def _status_arguments(request: web.Request, form, ids: list[int]) -> tuple[str, str, int | None] | str:
    """(status, reason, duplicate of) from a form, or what is wrong with it."""
    status, reason = str(form.get("status", "")), str(form.get("reason", "")).strip()[:1000]
    if status not in STATUSES:
        return "Выберите статус из списка."
    if status == ProposalStatus.NOT_FEASIBLE and not reason:
        return "Для статуса «невозможно реализовать» напишите причину: автор её увидит."
    target = None
    if status == ProposalStatus.DUPLICATE:
        match = NUMBER.search(str(form.get("duplicate_of", "")))
        target = whole_number(match.group(1)) if match else None
        if target is None or target in ids or not await panel(request).db.reader.moderation.existing([target]):
            return "Для дубликата укажите номер другого, существующего предложения."
    return status, reason, target


@routes.post("/proposals/{proposal_id:[0-9]+}/status")
@require(PROPOSALS)
async def set_status(request: web.Request) -> web.StreamResponse:
    proposal_id = _proposal_id(request)
    await _existing(request, proposal_id)
    back = f"/admin/proposals/{proposal_id}"
    arguments = await _status_arguments(request, await request.post(), [proposal_id])
    if isinstance(arguments, str):
        return refused(request, arguments, back)
    status, reason, target = arguments
    await notices.change_status(panel(request), request, [proposal_id], status, reason=reason, duplicate_of=target)
    raise redirect(back, "status")


@routes.post("/proposals/{proposal_id:[0-9]+}/merge")
@require(PROPOSALS)
async def merge(request: web.Request) -> web.StreamResponse:
    """«Объединить» on a proposal's page: this proposal becomes a duplicate of ``into`` (its
    supports and photos go there, its author is told), in one click."""
    proposal_id = _proposal_id(request)
    await _existing(request, proposal_id)
    form = await request.post()
    back_id = whole_number(str(form.get("back", "")))
    back = f"/admin/proposals/{back_id if back_id is not None else proposal_id}"
    target = whole_number(str(form.get("into", "")))
    moderation = panel(request).db.reader.moderation
    if target is None or target == proposal_id or not await moderation.existing([target]):
        return refused(request, "Объединить можно только с другим существующим предложением.", back)
    statuses = await moderation.statuses([proposal_id, target])
    if statuses[proposal_id] in SET_ASIDE:
        return refused(request, "Это предложение уже объединено с другим или скрыто как спам.", back)
    if statuses[target] in SET_ASIDE:
        return refused(request, "Основное предложение само объединено с другим или скрыто как спам:"
                                " объединяйте с тем, что осталось.", back)
    await notices.change_status(panel(request), request, [proposal_id], ProposalStatus.DUPLICATE, duplicate_of=target)
    raise redirect(back, "merged")


@routes.post("/proposals/{proposal_id:[0-9]+}/answer")
@require(PROPOSALS)
async def answer(request: web.Request) -> web.StreamResponse:
    return await _write_to_author(request, "text", "Ответ", notices.answer)


@routes.post("/proposals/{proposal_id:[0-9]+}/question")
@require(PROPOSALS)
async def question(request: web.Request) -> web.StreamResponse:
    return await _write_to_author(request, "question", "Вопрос", notices.ask_correction)


async def _write_to_author(request: web.Request, field: str, what: str, send) -> web.StreamResponse:
    """An answer or a question to the proposal's author, from the form's ``field``."""
    proposal_id = _proposal_id(request)
    await _existing(request, proposal_id)
    back = f"/admin/proposals/{proposal_id}"
    text = str((await request.post()).get(field, "")).strip()
    if not text or len(text) > MAX_TEXT:
        return refused(request, f"{what} не может быть пустым или длиннее {MAX_TEXT} знаков.", back)
    delivered = await send(panel(request), request, proposal_id, text)
    raise redirect(back, "sent" if delivered else "saved")


@routes.post("/proposals/{proposal_id:[0-9]+}/opinion")
@require(OPINIONS)
async def opinion(request: web.Request) -> web.StreamResponse:
    proposal_id = _proposal_id(request)
    await _existing(request, proposal_id)
    back = f"/admin/proposals/{proposal_id}"
    form = await request.post()
    verdict, comment = str(form.get("verdict", "")), str(form.get("comment", "")).strip()
    if verdict not in VERDICTS:
        return refused(request, "Выберите заключение: возможно, невозможно или нужна доработка.", back)
    if len(comment) > MAX_TEXT or (verdict != Verdict.POSSIBLE and not comment):
        return refused(request, "Напишите комментарий: что мешает или что нужно исправить.", back)
    user = current_user(request)
    p = panel(request)
    async with p.db.transaction() as tx:
        await tx.moderation.give_opinion(proposal_id, user.id, user.username, verdict, comment)
        await record(tx, request, "proposal.opinion", f"{p.settings.proposals.receipt_prefix}{proposal_id}",
                     {"verdict": verdict})
    raise redirect(back, "opinion")


@routes.post("/proposals/bulk")
@require(PROPOSALS)
async def bulk(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    back = "/admin/proposals?" + urlencode(parse_qsl(str(form.get("query", ""))))
    ids = sorted({n for n in map(whole_number, form.getall("id", [])) if n is not None})[:BULK_LIMIT]
    if not ids:
        return refused(request, "Отметьте хотя бы одно предложение.", back)
    arguments = await _status_arguments(request, form, ids)
    if isinstance(arguments, str):
        return refused(request, arguments, back)
    status, reason, target = arguments
    existing = await panel(request).db.reader.moderation.existing(ids)
    await notices.change_status(panel(request), request, existing, status, reason=reason, duplicate_of=target)
    raise redirect(back, "bulk")
