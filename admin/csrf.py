"""Cross-site request forgery: every POST to the panel must carry the session's own token.

The token is made at login and stored with the session (one per session, not per form, so that
several open tabs keep working). Forms carry it in a hidden field ``csrf`` — templates write
``{{ csrf_field() }}`` — and scripts may send it in the ``X-CSRF-Token`` header. The panel's
middleware checks it before any POST handler runs, so no page can forget to.

The login form has no session yet: it gets a double-submit token instead, a random value both in
a short-lived cookie and in the form, which a page on another site can neither read nor set.
SameSite=Strict on the session cookie is the second lock on the same door.
"""
from __future__ import annotations

import hmac
import secrets

from aiohttp import web
from markupsafe import Markup, escape

FIELD = "csrf"
HEADER = "X-CSRF-Token"
LOGIN_COOKIE = "souchastie_login"


async def submitted_token(request: web.Request) -> str:
    header = request.headers.get(HEADER)
    if header:
        return header
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()  # aiohttp keeps the parsed form for the handler
        value = form.get(FIELD)
        return value if isinstance(value, str) else ""
    return ""


def matches(expected: str, submitted: str) -> bool:
    return bool(expected) and bool(submitted) and hmac.compare_digest(expected.encode(), submitted.encode())


def hidden_field(token: str) -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, escape(token))


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def set_login_cookie(response: web.StreamResponse, token: str, secure: bool) -> None:
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, path="/admin/login", httponly=True,
                        samesite="Strict", secure=secure)


def forbidden() -> web.HTTPForbidden:
    return web.HTTPForbidden(text="Форма устарела или пришла не со страницы панели. Обновите страницу и повторите.",
                             content_type="text/plain")
