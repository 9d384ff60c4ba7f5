"""The audit log: every staff action, written in the same transaction as the action itself.

Call ``record(tx, request, "proposal.status", "П-17", {"to": "accepted"})`` inside the
``db.transaction()`` that makes the change, so the log can never say something happened that
was rolled back, nor miss something that was committed. Details must not hold passwords,
tokens or residents' personal data. Admins read the log at /admin/audit, in words (admin/audit_titles.py); the keys
stay stored.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from admin.audit_titles import ACTION_TITLES, AuditWords, action_title, details_text, subject_text
from admin.roles import AUDIT, current_user, require
from bot.numbers import whole_number
from storage.ports.repositories import Repositories


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
    settings = panel(request).settings
    words = AuditWords({c.key: c.title_in("ru") for c in settings.proposals.categories},
                       settings.proposals.receipt_prefix)
    rows = [(e, action_title(e.action), subject_text(e.action, e.subject), details_text(e.details, words))
            for e in entries]
    return render(request, "audit.html", rows=rows, actions=ACTION_TITLES, user_filter=username,
                  action_filter=action, older=older)
