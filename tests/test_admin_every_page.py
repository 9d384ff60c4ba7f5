"""Every page of the staff panel, for every role and for nobody, with real and hostile input: no 5xx.

The routes come from the running bot's own router, so a page added later is visited without
changing this test. Path parameters are filled with real ids from a seeded campaign and with
garbage (huge numbers, unicode digits, bytes that are not UTF-8); a parameter name this test has
no real values for fails it, naming the parameter. Query strings with real values (content items
by kind and key, the list's filters, every export format and kind) go to each page that reads
them. The query parameters and form fields tried with odd values are those the pages' own
modules read (found in their source and their templates' forms), all at once and, for the admin
who may open every page, each alone. Forms are POSTed with the session's valid CSRF token, also
as bodies that are no readable form at all. A 403 for a page a role may not see is fine, and a
request without a session must be sent to the login page.
"""
from __future__ import annotations

import inspect
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import aiohttp
from PIL import Image
from yarl import URL

from admin.app import HERE as ADMIN_DIR, NOTICES
from admin.exports import FORMATS
from bot.content import load_content, storable, storable_series
from bot.core.events import ResidentRef, text_event
from broadcasts import outbox
from broadcasts.audience import Audience
from storage.moderation import STATUSES
from storage.proposals import NewProposal
from tests.drivers.panel import StaffBrowser, make_staff
from tests.drivers.webchat import world

FIXTURES = Path(__file__).parent / "fixtures" / "content"
ROLES = {"root": ("admin", False), "sveta": ("staff", False), "mila": ("moderator", False),
         "marat": ("moderator", True), "egor": ("expert", False)}
ORDER = ["sveta", "mila", "marat", "egor", "root"]  # the admin last: its odd forms change other accounts

# Already percent-encoded: what a hostile client may put in a path segment or a query value.
ODD = ["", "%C2%B2", "%D9%A3", "-1", "99999999999999999999", "9223372036854775808", "%00", "%FF%FE%ED%A0%80",
       "a" * 400, "2026-13-45"]  # 400: every name at once still fits aiohttp's 8 KiB request line
GARBAGE_IN_PATH = [v for v in ODD if v] + ["%EF%BC%91", "9223372036854775807", "abc", ".."]
# Decoded, for form fields: a form may carry any text (the raw variant below sends bytes that
# are not UTF-8 at all).
ODD_TEXT = ["", "²", "٣", "-1", "99999999999999999999", "9223372036854775808", "\x00", "a" * 5000, "2026-13-45",
            "П-99999999999999999999"]
# Bodies that are no readable form at all (each with the session's token where it can carry one).
BROKEN_BODIES = [
    ("application/x-www-form-urlencoded", b"text=\xff\xfe\xed\xa0\x80&csrf={token}"),  # not UTF-8
    ("application/x-www-form-urlencoded; charset=no-such-charset", b"text=x&csrf={token}"),
    ("multipart/form-data; boundary=zz", b"not multipart at all"),
    ("multipart/form-data", b"--zz\r\n\r\n"),  # no boundary given
    ("multipart/form-data; boundary=zz",
     b"--zz\r\nContent-Disposition: form-data; name=\"text\"\r\nContent-Type: text/plain; charset=utf-8\r\n"
     b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64\r\n--zz\r\nContent-Disposition: form-data; "
     b"name=\"csrf\"\r\n\r\n{token}\r\n--zz--\r\n"),
    ("multipart/form-data; boundary=zz",
     b"--zz\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n\xff\xfe\r\n--zz\r\n"
     b"Content-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n--zz--\r\n"),
]
QUERY_NAME = re.compile(r"""query(?:\.get(?:all|one)?\(|\[)\s*["']([^"']+)["']""")
FORM_NAME = re.compile(r"""form(?:\.get(?:all|one)?\(|\[)\s*["']([^"']+)["']""")
FORM_TAG = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
FIELD_NAME = re.compile(r"""\bname="([^"{}]+)\"""")
# Forms the pages accept, so that one odd field at a time gets past the others' checks.
VALID_FORMS = {
    "/admin/operator": {"source": "reception", "point": "library", "category": "problem",
                        "text": "Сломана скамейка у фонтана", "author_name": "Мария",
                        "author_phone": "+7 914 000-00-00", "author_contact": "maria@example.org", "consent": "1"},
    "/admin/users": {"username": "newcomer", "role": "staff", "password": "a long enough password"},
    "/admin/users/{user_id}": {"role": "staff", "active": "on"},
    "/admin/answers": {"title": "Спасибо", "text": "Спасибо, учтём."},
    "/admin/proposals/{proposal_id}/status": {"status": "in_review", "reason": ""},
    "/admin/proposals/{proposal_id}/answer": {"text": "Спасибо за предложение"},
    "/admin/proposals/{proposal_id}/question": {"question": "Где именно?"},
    "/admin/proposals/{proposal_id}/opinion": {"verdict": "needs_correction", "comment": "Нужен адрес"},
    "/admin/proposals/bulk": {"id": "1", "status": "in_review"},
    "/admin/broadcasts": {"title": "Новости", "text_ru": "Привет, {{ name }}!", "action": "preview"},
    "/admin/content": {"yaml": "polls: []\n", "action": "preview"},
}


def real_queries(template_id: int) -> list[str]:
    """Query strings with real values (content items, filters, export kinds); each is tried on
    every page that reads all of its names."""
    content = [f"kind={kind}&key={key}" for kind, key in (
        ("polls", "park_name"), ("quizzes", "park"), ("surveys", "opinion"), ("contests", "drawings"),
        ("series", "park"), ("polls", "nosuch"), ("series", "nosuch"), ("nosuch", "park"))]
    exports = [f"format={fmt}&kind={kind}{personal}" for fmt in FORMATS
               for kind in ("proposals", "all", "survey:opinion", "residents") for personal in ("", "&personal=1")]
    filters = [f"status={status}" for status in STATUSES] + [
        "status=with_experts&category=tree&channel=webchat&source=poster_12&from=2020-01-01&to=2099-12-31"
        "&photo=1&location=1&q=%D1%81%D0%BA%D0%B0%D0%BC%D0%B5%D0%B9%D0%BA%D0%B8", "page=2", "page=1"]
    return [*content, *exports, *filters, f"template={template_id}", "before=3", "user=root&action=login",
            "since=2020-01-01", "source=poster_12", "next=/admin/users", *(f"notice={n}" for n in NOTICES)]


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 120, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


async def seed_campaign(app) -> dict[str, list[str]]:
    """A campaign in progress: residents, proposals in several states (with photos, points, an
    operator entry, opinions), polls with ballots, quizzes, contests with an entry, a survey, an
    answer template, a weekly report, broadcasts drafted, sending and cancelled, staff of every
    role. Returns real values for each path parameter of the panel's routes."""
    user_ids = [await make_staff(app, name, role, personal_data=personal) for name, (role, personal) in ROLES.items()]
    photo = await app.dispatcher.attachments.put_image(jpeg())
    async with app.db.transaction() as tx:
        await tx.content.store(storable(load_content(FIXTURES / "polls.yaml")))
        await tx.content.store(storable(load_content(FIXTURES / "quizzes_contests.yaml")))
        await tx.content.store(storable(load_content(FIXTURES / "survey.yaml")))
        proposals = []
        for number in range(6):
            resident = await tx.residents.get_or_create("webchat", f"resident{number}")
            await tx.residents.record_consent(resident.id, "v1", f"Житель {number}")
            await tx.residents.set_first_source(resident.id, "poster_12")
            await tx.subscriptions.subscribe(resident.id, "news")
            proposals.append(await tx.proposals.create(NewProposal(
                resident.id, "webchat", "poster_12", ("idea", "tree", "problem")[number % 3],
                f"Поставить скамейки у фонтана, номер {number}", address="ул. Ленина, 3",
                latitude=50.09 if number % 2 else None, longitude=118.03 if number % 2 else None,
                photos=[photo] if number < 3 else [])))
            poll_id = (await tx.content.get("polls", "park_name"))[0]
            await tx.polls.cast(poll_id, f"resident:{resident.id}", resident.id, "webchat",
                                [(("urguy", "detsky")[number % 2], 1)], False)
            if number == 5:
                contest_id = (await tx.content.get("contests", "drawings"))[0]
                entry_id = await tx.contests.submit(contest_id, resident.id, "webchat", "drawing", "7-10", "Мой парк",
                                                    photo[0])
        await tx.moderation.set_status(proposals[1], "with_experts", "mila")
        await tx.moderation.give_opinion(proposals[1], user_ids[4], "egor", "needs_correction", "Уточнить место")
        await tx.moderation.set_status(proposals[2], "spam", "mila")
        await tx.moderation.record_entry(proposals[3], point="library", author_name="Мария",
                                         author_contact="maria@example.org", author_phone="+79140000000",
                                         consented=True, operator="mila")
        template_id = await tx.moderation.save_template(None, "Спасибо", "Спасибо, учтём.")
        await tx.statistics.add_report("2026-06-01", "Срез мнений: 6 предложений, чаще всего «скамейка».")
        # Dead letters: an event that used up its attempts, and a signed body no parser could read.
        stuck = text_event(ResidentRef(channel="webchat", external_id="resident0"), "stuck-1", "Скамейки у фонтана")
        dead_ids = list((await tx.inbox.store_many([("webchat", "stuck-1", stuck.model_dump_json())])).values())
        await tx.inbox.bury(dead_ids[0], "RuntimeError: проверка")
        dead_ids.append(await tx.inbox.store_unparseable("vk", "{не JSON", "the body is not JSON"))
    broadcasts = []
    for status in ("draft", "sending", "draft"):
        spec = outbox.BroadcastSpec(title=f"Новости {status}", texts={"ru": "Привет, {{ name }}!"},
                                    audience=Audience(topic="news"), topic="news")
        broadcasts.append((await outbox.create(app.db, spec, created_by="sveta", status=status))[0])
    await outbox.cancel(app.db, broadcasts[2])
    return {
        "proposal_id": [str(p) for p in proposals[:4]],
        "user_id": [str(u) for u in user_ids],
        "template_id": [str(template_id)],
        "inbox_id": [str(i) for i in dead_ids],
        "id": [str(b) for b in broadcasts],
        "action": ["pause", "resume", "cancel"],
        "source": ["poster_12"],
        "channel": ["webchat", "telegram"],
        "kind": ["svg", "png"],
        "key": [photo[0]],
        "contest": ["drawings", "spring"],
        "survey": ["opinion", "pulse"],
        "entry_id": [str(entry_id)],
        "name": [path.name for path in (ADMIN_DIR / "static").iterdir()],  # the panel's styles and scripts
        "?": real_queries(template_id),
    }


async def store_series(app, tmp_path: Path) -> None:
    text = ("series:\n  - key: park\n    title: {ru: \"ПАРКУ БЫТЬ!\"}\n    topic: episodes\n    episodes:\n"
            "      - {number: 1, title: {ru: Начало}, video_url: \"https://example.org/1\","
            " air_at: \"2099-06-01T10:00:00+09:00\"}\n")
    path = tmp_path / "series.yaml"
    path.write_text(text, encoding="utf-8")
    async with app.db.transaction() as tx:
        await tx.episodes.store(storable_series(load_content(path, topics={"episodes"})))


@dataclass(frozen=True)
class Route:
    method: str
    formatter: str                 # "/admin/proposals/{proposal_id}"
    parameters: tuple[str, ...]
    reads: tuple[str, ...]         # query names (GET) or form fields (POST) the page reads


def _sources_of(handler) -> str:
    """The handler's module and the admin modules it uses (where filters and render live)."""
    module = sys.modules[inspect.unwrap(handler).__module__]
    modules = {module}
    for value in vars(module).values():
        name = getattr(value, "__module__", None) or getattr(value, "__name__", "")
        if isinstance(name, str) and name.startswith("admin.") and name in sys.modules:
            modules.add(sys.modules[name])
    return "".join(inspect.getsource(m) for m in modules)


def _template_forms() -> dict[str, set[str]]:
    """Field names of each form in the templates, by its action ("/admin/users/{}")."""
    forms: dict[str, set[str]] = {}
    for path in (ADMIN_DIR / "templates").glob("*.html"):
        for tag, body in FORM_TAG.findall(path.read_text(encoding="utf-8")):
            action = re.search(r'action="([^"]*)"', tag)
            if action:
                key = re.sub(r"{{.*?}}", "{}", action.group(1))
                forms.setdefault(key, set()).update(FIELD_NAME.findall(body))
    return forms


def panel_routes(app) -> list[Route]:
    forms = _template_forms()
    routes = []
    for route in app.web.router.routes():
        resource = route.resource
        if resource is None or route.method == "HEAD" or not resource.canonical.startswith("/admin"):
            continue
        formatter = resource.canonical
        source = _sources_of(route.handler)
        if route.method == "GET":
            reads = set(QUERY_NAME.findall(source))
        else:
            reads = set(FORM_NAME.findall(source)) | forms.get(re.sub(r"{\w+}", "{}", formatter), set())
        routes.append(Route(route.method, formatter, tuple(re.findall(r"{(\w+)}", formatter)),
                            tuple(sorted(reads - {"csrf"}))))
    return routes


def paths(route: Route, values: dict[str, list[str]], garbage: bool) -> list[str]:
    """The route with real values; with ``garbage``, then each parameter in turn replaced by it."""
    missing = [p for p in route.parameters if p not in values]
    assert not missing, f"{route.formatter}: add real values for {missing} to seed_campaign"
    real = {p: [quote(v, safe="/") for v in values[p]] for p in route.parameters}
    found = [route.formatter.format(**{p: v[index % len(v)] for p, v in real.items()})
             for index in range(max([len(v) for v in real.values()] or [1]))]
    for parameter in route.parameters if garbage else ():
        for value in GARBAGE_IN_PATH:
            found.append(route.formatter.format(**{p: (value if p == parameter else v[0]) for p, v in real.items()}))
    return found


@dataclass
class Crawl:
    """Requests for one person; ``thorough`` also tries each odd value alone, with garbage paths
    (the admin, who may open every page: the parsing is the same for every role)."""

    base: str
    values: dict[str, list[str]]
    problems: list[str]
    requests: int = 0

    async def request(self, browser: StaffBrowser, who: str, method: str, path: str, **kwargs) -> int:
        url = URL(self.base + path, encoded=True)
        async with browser.http.request(method, url, allow_redirects=False, **kwargs) as response:
            body = await response.read()
        self.requests += 1
        if response.status >= 500:
            self.problems.append(f"{who}: {method} {path[:160]} -> {response.status} {body[:200]!r}")
        if who == "nobody" and not path.startswith(("/admin/login", "/admin/static")):
            target = response.headers.get("Location", "")
            sent_on = target.startswith("/admin/login") or target == "/admin/"  # /admin is /admin/
            if response.status not in (302, 303) or not sent_on:
                self.problems.append(f"nobody: {method} {path[:160]} -> {response.status}, not sent to log in")
        return response.status

    async def get_everything(self, browser: StaffBrowser, who: str, routes: list[Route], thorough: bool) -> None:
        for route in (r for r in routes if r.method == "GET"):
            found = paths(route, self.values, thorough)
            for path in found:
                await self.request(browser, who, "GET", path)
            for query in self.values["?"]:
                if {pair.partition("=")[0] for pair in query.split("&")} <= set(route.reads):
                    await self.request(browser, who, "GET", f"{found[0]}?{query}")
            for odd in ODD if route.reads else ():  # every parameter at once, then each alone
                await self.request(browser, who, "GET", found[0] + "?" + "&".join(f"{n}={odd}" for n in route.reads))
                for name in route.reads if thorough else ():
                    await self.request(browser, who, "GET", f"{found[0]}?{name}={odd}&{name}=1")

    async def broken_bodies(self, browser: StaffBrowser, who: str, path: str, token: str) -> None:
        for content_type, body in BROKEN_BODIES:
            await self.request(browser, who, "POST", path, data=body.replace(b"{token}", token.encode()),
                               headers={"Content-Type": content_type})

    async def post_everything(self, browser: StaffBrowser, who: str, routes: list[Route], thorough: bool) -> None:
        token = browser.csrf
        for route in (r for r in routes if r.method == "POST" and r.formatter not in ("/admin/logout", "/admin/login")):
            found = paths(route, self.values, thorough)
            for path in found:
                await self.request(browser, who, "POST", path, data=[("csrf", token)])
            valid = VALID_FORMS.get(route.formatter, {})
            for odd in ODD_TEXT:
                await self.request(browser, who, "POST", found[0], data=[*((n, odd) for n in route.reads),
                                                                         ("csrf", token)])
                for name in route.reads if thorough else ():
                    form = {**valid, name: odd}
                    await self.request(browser, who, "POST", found[0], data=[*form.items(), ("csrf", token)])
            raw = "&".join(f"{n}=%FF%ED%A0%80%00" for n in route.reads) + "&csrf=" + quote(token)
            await self.request(browser, who, "POST", found[0], data=raw.encode(),
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
            await self.broken_bodies(browser, who, found[0], token)
            files = aiohttp.FormData()
            for name in route.reads:
                files.add_field(name, b"\xff\xd8\xff not quite a photo", filename="../x.jpg", content_type="image/jpeg")
            files.add_field("csrf", token)
            await self.request(browser, who, "POST", found[0], data=files)


async def test_no_page_of_the_panel_answers_5xx_to_any_role_or_input(tmp_path):
    async with world(tmp_path) as w:
        seeded = await seed_campaign(w.app)
        await store_series(w.app, tmp_path)
        routes = panel_routes(w.app)
        assert {"/admin/operator", "/admin/proposals/{proposal_id}", "/admin/stats"} <= {r.formatter for r in routes}
        crawl = Crawl(f"http://127.0.0.1:{w.app.port}", seeded, [])

        async with StaffBrowser.of(w.app) as nobody:
            await crawl.get_everything(nobody, "nobody", routes, thorough=False)
            for route in (r for r in routes if r.method == "POST" and r.formatter != "/admin/login"):
                for path in paths(route, seeded, garbage=False):
                    await crawl.request(nobody, "nobody", "POST", path, data={"csrf": "x"})
        async with StaffBrowser.of(w.app, address="127.0.0.9") as guesser:  # the login form itself
            for odd in ODD_TEXT:
                form = await guesser.get("/admin/login?next=" + quote(odd))
                token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
                await crawl.request(guesser, "login", "POST", "/admin/login",
                                    data={"csrf": token, "username": odd, "password": odd, "next": odd})
            await crawl.broken_bodies(guesser, "login", "/admin/login", token)

        for name in ORDER:
            async with StaffBrowser.of(w.app) as browser:
                assert (await browser.login(name)).status == 200, name
                await crawl.get_everything(browser, name, routes, thorough=name == "root")
                await crawl.post_everything(browser, name, routes, thorough=name == "root")
                await crawl.request(browser, name, "POST", "/admin/logout", data={"csrf": browser.csrf})
        assert not crawl.problems, f"{len(crawl.problems)} of {crawl.requests} requests:\n" + "\n".join(
            sorted(set(crawl.problems))[:80])


async def test_the_issues_panel_errors_are_a_form_a_404_and_the_first_page(tmp_path):
    async with world(tmp_path) as w:
        await make_staff(w.app, "mila", "moderator")
        async with w.app.db.transaction() as tx:
            for number in range(3):
                await tx.proposals.create(NewProposal(None, "operator", "phone", "idea", f"Скамейка номер {number}"))
        async with StaffBrowser.of(w.app) as mila:
            await mila.login("mila")
            entry = await mila.get("/admin/operator")
            assert entry.status == 200 and 'name="author_contact" value=""' in entry.text
            assert (await mila.get("/admin/proposals/99999999999999999999")).status == 404
            assert (await mila.get("/admin/proposals/9223372036854775808")).status == 404
            assert (await mila.get("/admin/proposals/%D9%A3")).status == 404  # an Arabic-Indic 3 is not proposal 3
            assert "Скамейка номер 2" in (await mila.get("/admin/proposals/3")).text
            for page in ("%C2%B2", "%D9%A3", "99999999999999999999", "-1"):
                listed = await mila.get(f"/admin/proposals?page={page}")
                assert listed.status == 200 and "Скамейка номер 0" in listed.text, page  # the first page
