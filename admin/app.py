"""The staff panel at /admin: a sub-application of the bot's own aiohttp server.

The API a page module uses (all of it):

    from admin.app import panel, render, redirect
    from admin.roles import require, current_user, can
    from admin.audit import record

    routes = web.RouteTableDef()           # paths relative to /admin

    @routes.get("/exports")
    @require("exports")                    # any of the named permissions (admin/roles.py)
    async def exports_page(request):
        db = panel(request).db             # also .dispatcher, .settings, .texts, .attachments
        return render(request, "exports_index.html", rows=...)

and the module's name added to ``PAGES`` below. Templates extend "base.html" (a title block and
a content block) and put ``{{ csrf_field() }}`` in every form that POSTs: the middleware here
refuses a POST without the session's token before the handler runs, and sends a request
without a live session to the login page. In templates, ``user`` is the logged-in StaffUser and
``can("exports")`` tells what they may do; ``{{ stamp|when }}`` shows a stored UTC
stamp on the town's clock (``project.time_zone``, named in the footer). ``redirect(path, notice=KEY)`` after a POST
shows one of NOTICES on the next page.
"""
from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from datetime import timezone
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from markupsafe import Markup

from admin import auth, csrf
from admin.roles import USER_KEY, NotPermitted, can, current_user, login_redirect
from admin.throttle import LoginThrottle
from bot.addresses import Network, client_address, networks
from bot.config import Settings
from bot.core.dispatcher import Dispatcher
from bot.core.i18n import Texts
from bot.localtime import DATE_TIME, LocalTime, parse_stamp
from bot.sms import SmsGateway
from storage.attachments import AttachmentStore
from storage.ports.repositories import Database

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
PAGES = (  # modules with a `routes` table; D's first, then E's
    "admin.login", "admin.home", "admin.users", "admin.audit", "admin.settings_page", "admin.proposals",
    "admin.proposal_actions", "admin.answer_templates", "admin.operator",
    "admin.downloads", "admin.stats", "admin.posters", "admin.content_forms", "admin.broadcast_forms",
    "admin.dead_letters", "admin.texts_search", "admin.contests", "admin.publishing", "admin.survey_page",
    "admin.volunteers",
)

CSRF_KEY = web.RequestKey("admin.csrf", str) if hasattr(web, "RequestKey") else "admin.csrf"


@dataclass(frozen=True)
class Panel:
    """What every page may use; built once by ``setup_admin``."""

    db: Database
    dispatcher: Dispatcher
    settings: Settings
    texts: Texts
    templates: jinja2.Environment
    secure_cookies: bool
    paths: frozenset[str]  # every path the panel serves, to show only the menu items that exist
    trusted_proxies: tuple[Network, ...]
    throttle: LoginThrottle
    sms: SmsGateway | None = None  # the SMS provider, when one is configured (sms.provider)

    @property
    def attachments(self) -> AttachmentStore:
        return self.dispatcher.attachments

    @property
    def clock(self) -> LocalTime:
        """The town's clock: every time on a page is in it, every time staff type is read in it."""
        return self.settings.project.clock


PANEL = web.AppKey("admin.panel", Panel)

# (permission, path, title): the menu, in the order staff see it; an item shows only when its
# page exists and the person may use it.
MENU = (
    (("proposals", "opinions"), "/admin/proposals", "Предложения"),
    (("proposals",), "/admin/operator", "Принять обращение"),
    (("proposals", "content", "broadcasts"), "/admin/contests", "Конкурсные работы"),
    (("content",), "/admin/content", "Опросы и конкурсы"),
    (("broadcasts",), "/admin/broadcasts", "Рассылки"),
    (("statistics",), "/admin/stats", "Статистика"),
    (("exports",), "/admin/exports", "Выгрузки"),
    (("content", "exports"), "/admin/volunteers", "Присоединились"),
    (("content",), "/admin/posters", "QR-плакаты"),
    (("users",), "/admin/users", "Сотрудники"),
    (("settings",), "/admin/settings", "Настройки"),
    (("audit",), "/admin/audit", "Журнал действий"),
    (("inbox",), "/admin/dead-letters", "Необработанные сообщения"),
)

NOTICES = {
    "saved": "Сохранено.",
    "created": "Создано.",
    "created_sms_sent": "Создано. Автору отправлено SMS с номером предложения.",
    "created_sms_failed": "Создано, но SMS автору не отправлено (причина — в истории предложения): "
                          "назовите автору номер предложения сами.",
    "sent": "Отправлено автору.",
    "author_erased": "Имя и контакты автора удалены из всех предложений, принятых с его номером.",
    "status": "Статус изменён, автор получил уведомление.",
    "opinion": "Заключение записано.",
    "published": "Опубликовано: предложение видно на публичной странице и в открытых данных.",
    "unpublished": "Снято с публичной страницы.",
    "bulk": "Готово: действие применено к отмеченным предложениям.",
    "merged": "Объединено: дубликат отмечен, его поддержки перешли к основному предложению, автор получил уведомление.",
    "password": "Пароль изменён.",
    "retried": "Сообщение снова передано на обработку.",
    "discarded": "Сообщение убрано из списка, его текст удалён.",
    "contest_decided": "Решение записано, автору отправлено уведомление.",
    "contest_decided_untold": "Решение записано. Автору написать некуда: он удалил свои данные или недоступен.",
}


def panel(request: web.Request) -> Panel:
    return request.config_dict[PANEL]


def address_of(request: web.Request) -> str:
    """The client's address: behind one of ``server.trusted_proxies``, the one the proxy saw."""
    address = client_address(request, panel(request).trusted_proxies)
    return str(address) if address is not None else (request.remote or "unknown")


def render(request: web.Request, template: str, *, status: int = 200, **context: Any) -> web.Response:
    """Render a page of the panel with what every page shows: the menu, the user, the notice."""
    p = panel(request)
    user = current_user(request)
    token = request.get(CSRF_KEY, "")
    menu = [(path, title) for permissions, path, title in MENU
            if path in p.paths and any(can(user, permission) for permission in permissions)]
    html = p.templates.get_template(template).render(
        request=request, user=user, can=lambda permission: can(user, permission),
        csrf_field=lambda: csrf.hidden_field(token), csrf_token=token, menu=menu,
        notice=NOTICES.get(request.query.get("notice", "")), project=p.settings.project.name.get("ru", ""),
        zone=f"{p.clock.label()} ({p.clock.name})", **context)
    return web.Response(text=html, content_type="text/html", status=status)


def redirect(path: str, notice: str = "") -> web.HTTPSeeOther:
    """After a POST: see the result with GET (a reload does not repeat the action)."""
    if notice:
        path += ("&" if "?" in path else "?") + "notice=" + notice
    return web.HTTPSeeOther(path)


async def read_form(request: web.Request) -> None:
    """Read a POSTed form once, before the CSRF check and the handler (aiohttp keeps it for
    both): a form that cannot be read is the sender's mistake, answered 400, not a crash in
    whichever handler reads it first."""
    try:
        await request.post()
    # Bytes that are no UTF-8 or an unknown charset; a part's broken headers; an unknown
    # Content-Transfer-Encoding, which aiohttp reports as a RuntimeError.
    except (ValueError, LookupError, HttpProcessingError, RuntimeError) as error:
        log.info("панель сотрудников: нечитаемая форма от %s (%s: %s)", address_of(request),
                 type(error).__name__, error)
        raise web.HTTPBadRequest(text="Форма пришла повреждённой, её нельзя прочитать. Обновите страницу и "
                                      "отправьте форму ещё раз.", content_type="text/plain") from None


@web.middleware
async def staff_session(request: web.Request, handler):
    """Find the session; refuse any POST without a live session and its CSRF token, or whose
    form cannot be read; answer a page the person's role does not allow with the 403 page."""
    p = panel(request)
    session = await auth.session_of(p.db, request)
    if session is not None:
        request[USER_KEY] = session.user
        request[CSRF_KEY] = session.csrf
    if request.method == "POST":
        if request.path != "/admin/login" and session is None:
            raise login_redirect(request)
        await read_form(request)
        if request.path != "/admin/login" and not csrf.matches(session.csrf, await csrf.submitted_token(request)):
            raise csrf.forbidden()
    try:
        response = await handler(request)
    except NotPermitted:  # a page its role does not allow (admin.roles.require)
        response = render(request, "forbidden.html", status=403)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline';"
                                " frame-ancestors 'none'; form-action 'self'")
    if response.content_type == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def time_element(clock: LocalTime, stamp: str | None, pattern: str = DATE_TIME) -> Markup:
    """A stored UTC stamp as the town's wall time, «02.12.2026 06:20», in a ``<time>`` whose
    ``datetime`` keeps the exact moment in UTC (the page footer names the zone)."""
    moment = parse_stamp(stamp)
    if moment is None:
        return Markup("")
    exact = moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Markup('<time datetime="{}">{}</time>').format(exact, clock.text(moment, pattern))


def templates(clock: LocalTime) -> jinja2.Environment:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                                     autoescape=True, undefined=jinja2.StrictUndefined,
                                     trim_blocks=True, lstrip_blocks=True)
    environment.filters["when"] = lambda stamp: time_element(clock, stamp)
    return environment


STATIC = {path.name: path for path in (HERE / "static").iterdir() if path.is_file()}


async def static_file(request: web.Request) -> web.StreamResponse:
    """The panel's own styles and scripts, by name from a fixed list, so that no name a client
    makes up reaches the file system (aiohttp's static handler answered a name too long for the
    file system with 500)."""
    path = STATIC.get(request.match_info["name"])
    if path is None:
        raise web.HTTPNotFound()
    return web.FileResponse(path)


async def favicon(request: web.Request) -> web.StreamResponse:
    """The site's icon at the address every browser asks for, for the panel's pages and the chat's."""
    return web.FileResponse(STATIC["favicon.ico"], headers={"Cache-Control": "public, max-age=86400"})


def setup_admin(web_app: web.Application, db: Database, dispatcher: Dispatcher, settings: Settings,
                texts: Texts, sms: SmsGateway | None = None) -> None:
    """Mount the panel on the bot's web app (before it starts): every /admin route is added here."""
    sub = web.Application(middlewares=[staff_session])
    for name in PAGES:
        sub.router.add_routes(importlib.import_module(name).routes)
    sub.router.add_get("/static/{name}", static_file)
    paths = frozenset("/admin" + (resource.canonical or "") for resource in sub.router.resources())
    sub[PANEL] = Panel(db, dispatcher, settings, texts, templates(settings.project.clock),
                       settings.server.public_url.startswith("https://"), paths,
                       networks(settings.server.trusted_proxies), LoginThrottle(settings.admin), sms)
    web_app.router.add_get("/admin", lambda request: web.HTTPFound("/admin/"))
    web_app.router.add_get("/favicon.ico", favicon)
    web_app.add_subapp("/admin", sub)
