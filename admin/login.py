"""The login and logout pages (admin/auth.py does the checking)."""
from __future__ import annotations

from aiohttp import web

from admin import auth, csrf
from admin.app import address_of, panel, render
from admin.roles import current_user

routes = web.RouteTableDef()


def _safe_next(target: str) -> str:
    """Only back into the panel: never to another site (//evil, https://…)."""
    return target if target.startswith("/admin") and "//" not in target and "\\" not in target else "/admin/"


def _login_page(request: web.Request, *, status: int = 200, error: str = "", username: str = "") -> web.Response:
    token = csrf.new_login_token()
    response = render(request, "login.html", status=status, error=error, username=username, login_token=token,
                      next=_safe_next(request.query.get("next", "/admin/")))
    csrf.set_login_cookie(response, token, panel(request).secure_cookies)
    return response


@routes.get("/login")
async def login_form(request: web.Request) -> web.StreamResponse:
    if current_user(request) is not None:
        raise web.HTTPFound(_safe_next(request.query.get("next", "/admin/")))
    return _login_page(request)


@routes.post("/login")
async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    if not csrf.matches(request.cookies.get(csrf.LOGIN_COOKIE, ""), str(form.get(csrf.FIELD, ""))):
        return _login_page(request, status=403, error="Страница входа устарела. Попробуйте ещё раз.")
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    p = panel(request)
    result = await auth.log_in(p.db, p.throttle, username, password, address_of(request))
    if result.wait_seconds:
        response = _login_page(request, status=429, username=username,
                               error=f"Слишком много неудачных попыток. Повторите через {result.wait_seconds} с.")
        response.headers["Retry-After"] = str(result.wait_seconds)
        return response
    if result.user is None:
        return _login_page(request, status=401, username=username, error="Неверное имя или пароль.")
    response = web.HTTPSeeOther(_safe_next(str(form.get("next", "/admin/"))))
    auth.set_session_cookie(response, result.token, p.secure_cookies)
    response.del_cookie(csrf.LOGIN_COOKIE, path="/admin/login")
    raise response


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    await auth.log_out(panel(request).db, request, current_user(request), address_of(request))
    response = web.HTTPSeeOther("/admin/login")
    auth.clear_session_cookie(response)
    raise response
