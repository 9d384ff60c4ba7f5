"""The audit log: every staff action, written in the same transaction as the action itself.

Call ``record(tx, request, "proposal.status", "П-17", {"to": "accepted"})`` inside the
``db.transaction()`` that makes the change, so the log can never say something happened that
was rolled back, nor miss something that was committed. Details must not hold passwords,
tokens or residents' personal data. Admins read the log at /admin/audit.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from admin.roles import AUDIT, current_user, require
from bot.numbers import whole_number
from storage.repositories import Repositories


async def record(tx: Repositories, request: web.Request, action: str, subject: str = "",
                 details: dict[str, Any] | None = None) -> None:
    from admin.app import address_of

    user = current_user(request)
    await tx.staff.audit(user.id if user else None, user.username if user else "", action, subject,
                         details or {}, address_of(request))


routes = web.RouteTableDef()
PAGE = 100


@routes.get("/audit")
@require(AUDIT)
async def audit_page(request: web.Request) -> web.StreamResponse:
    from admin.app import panel, render

    username = request.query.get("user", "").strip()
    action = request.query.get("action", "").strip()
    entries = await panel(request).db.reader.staff.audit_entries(
        username=username, action=action, before_id=whole_number(request.query.get("before")), limit=PAGE)
    older = entries[-1].id if len(entries) == PAGE else None
    return render(request, "audit.html", entries=entries, user_filter=username, action_filter=action, older=older)
