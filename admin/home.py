"""The first page after login: the menu as large buttons, easy to hit on a phone."""
from __future__ import annotations

from aiohttp import web

from admin.app import render
from admin.roles import current_user, login_redirect

routes = web.RouteTableDef()


@routes.get("/")
async def home(request: web.Request) -> web.StreamResponse:
    if current_user(request) is None:
        raise login_redirect(request)
    return render(request, "home.html")
