"""Who may do what in the panel: roles are named sets of permissions, checked on every page.

Pages ask for permissions, never for roles (``require("exports")``), so that what a role may do
is read in one place, here:

    admin      users, settings, audit log — and everything else
    staff      content, broadcasts, statistics, exports, messages the bot could not process
    moderator  proposals (moderation, answers, operator entry), exports
    expert     opinions on proposals, nothing else

Personal data (residents' names, phones, channel ids) is a permission of its own: admins have it;
anyone else only when an admin ticked "may see personal data" on their account. So a moderator's
export leaves personal data out unless they were allowed, and an expert cannot export at all.
"""
from __future__ import annotations

import functools
from typing import Awaitable, Callable

from aiohttp import web

from storage.ports.staff import ROLES, StaffUser
from storage.statuses import StaffRole

USERS, SETTINGS, AUDIT = "users", "settings", "audit"
CONTENT, BROADCASTS, STATISTICS, EXPORTS = "content", "broadcasts", "statistics", "exports"
PROPOSALS, OPINIONS, PERSONAL_DATA = "proposals", "opinions", "personal_data"
INBOX = "inbox"  # dead letters: messages the bot could not process (their text needs PERSONAL_DATA too)

PERMISSIONS: dict[StaffRole, frozenset[str]] = {
    StaffRole.ADMIN: frozenset({USERS, SETTINGS, AUDIT, CONTENT, BROADCASTS, STATISTICS, EXPORTS, PROPOSALS, OPINIONS,
                              PERSONAL_DATA, INBOX}),
    StaffRole.STAFF: frozenset({CONTENT, BROADCASTS, STATISTICS, EXPORTS, INBOX}),
    StaffRole.MODERATOR: frozenset({PROPOSALS, EXPORTS}),
    StaffRole.EXPERT: frozenset({OPINIONS}),
}
assert set(PERMISSIONS) == set(ROLES)

ROLE_TITLES = {StaffRole.ADMIN: "администратор", StaffRole.STAFF: "сотрудник", StaffRole.MODERATOR: "модератор",
               StaffRole.EXPERT: "эксперт"}

# request[USER_KEY]: the StaffUser of the session, set by the panel's middleware (RequestKey since aiohttp 3.12)
USER_KEY = web.RequestKey("admin.user", StaffUser) if hasattr(web, "RequestKey") else "admin.user"


def permissions_of(user: StaffUser | None) -> frozenset[str]:
    if user is None or not user.active:
        return frozenset()
    granted = PERMISSIONS[user.role]
    return granted | {PERSONAL_DATA} if user.personal_data else granted


def can(user: StaffUser | None, permission: str) -> bool:
    return permission in permissions_of(user)


def current_user(request: web.Request) -> StaffUser | None:
    return request.get(USER_KEY)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class NotPermitted(web.HTTPForbidden):
    """A logged-in person asked for what their role does not allow. The panel's middleware
    (``admin.app.staff_session``) answers it with the panel's own 403 page: the rules live here,
    the page is drawn there, so this module needs nothing of the panel's."""


def require(*permissions: str) -> Callable[[Handler], Handler]:
    """Let the request through when its user has ANY of ``permissions``.

    Not logged in: a redirect to the login page (back here afterwards). Logged in but not
    allowed: ``NotPermitted``, a 403 with the panel's own page, so the person sees what happened.
    """
    if not permissions:
        raise ValueError("require() needs at least one permission")

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            user = current_user(request)
            if user is None:
                raise login_redirect(request)
            if not permissions_of(user) & set(permissions):
                raise NotPermitted()
            return await handler(request)

        guarded.permissions = frozenset(permissions)  # type: ignore[attr-defined]
        return guarded

    return decorate


def login_redirect(request: web.Request) -> web.HTTPFound:
    from urllib.parse import urlencode

    target = request.path_qs if request.method == "GET" else "/admin/"
    return web.HTTPFound("/admin/login?" + urlencode({"next": target}))
