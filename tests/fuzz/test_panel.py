"""Every form of the staff panel, posted by a logged-in admin with a valid CSRF token, answers any
field values with less than 500: texts with NUL and bytes that are no UTF-8, numbers past every
range, unicode digits, fields left out or doubled, as an urlencoded or a multipart form; the
panel's pages answer odd query strings the same way, and so does the login form."""
from __future__ import annotations

from urllib.parse import quote_from_bytes

import pytest
import pytest_asyncio
from hypothesis import example, given, strategies as st
from yarl import URL

from admin.content_forms import EXAMPLE
from tests.drivers.panel import StaffBrowser, make_staff
from tests.drivers.webchat import WebChatResident
from tests.fuzz.budget import budget
from tests.fuzz.strategies import odd_text
from tests.fuzz.world import Everything
from tests.journey import JPEG, onboard, propose

pytestmark = [pytest.mark.asyncio(loop_scope="module"),
              pytest.mark.filterwarnings("ignore::UserWarning:maxapi")]

ADMIN = "fuzz-admin"
CONTENT = EXAMPLE  # what the content form offers as its example: a poll that loads


class Panel:
    """The admin's browser and the ids of things that exist, for the forms' paths."""

    def __init__(self, bot: Everything, browser: StaffBrowser, ids: dict[str, str]) -> None:
        self.bot, self.browser, self.ids = bot, browser, ids

    def __repr__(self) -> str:
        return "<the panel, logged in as an admin>"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))

    async def send(self, method: str, target: str, body: bytes | None = None,
                   headers: dict[str, str] | None = None) -> tuple[int, str]:
        """A request in the admin's session; ``target`` is sent exactly as written."""
        url = URL(self.bot.base + target, encoded=True)
        async with self.browser.http.request(method, url, data=body, headers=headers or {},
                                             allow_redirects=False) as response:
            return response.status, (await response.read()).decode("utf-8", "replace")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def panel(bot):
    author = WebChatResident(bot.client("127.0.0.1"), bot.base)
    await onboard(author)
    receipt = await propose(author, photo=False, point=None)
    await make_staff(bot.app, ADMIN, "admin", personal_data=True)
    colleague = await make_staff(bot.app, "fuzz-colleague", "moderator")
    async with StaffBrowser.of(bot.app) as browser:
        assert (await browser.login(ADMIN)).status == 200
        made = await browser.post("/admin/broadcasts", {"title": "Новости", "text_ru": "Привет", "action": "draft"})
        saved = await browser.post("/admin/answers", {"title": "Спасибо", "text": "Спасибо за предложение!"})
        assert made.status == 200 and saved.status == 200, (made.status, saved.status)
        broadcast = made.url.rstrip("/").split("?")[0].rsplit("/", 1)[1]
        template = str((await bot.app.db.reader.moderation.templates())[0].id)
        yield Panel(bot, browser, {"proposal": receipt.split("-")[1], "broadcast": broadcast,
                                   "template": template, "user": str(colleague)})


@pytest_asyncio.fixture(autouse=True, loop_scope="module")
async def still_working(panel):
    """After each test's examples: the admin is still logged in, and residents still answered."""
    yield
    status, text = await panel.send("GET", "/admin/")
    assert status == 200 and ADMIN in text, (status, text[:300])
    await panel.bot.alive()


# -- field values --------------------------------------------------------------------------------

NUMBERS = ["0", "-1", "9223372036854775807", "9223372036854775808", "99999999999999999999", "1" + "0" * 400,
           "²", "٣", "𝟗", "1e309", "nan", "-0", "0.5", "1,5", " 7 ", "+3", ""]
DATES = ["2026-06-25T08:00+09:00", "2026-06-25", "9999-12-31T23:59:59", "0001-01-01T00:00:00", "2026-02-30T00:00",
         "2026-06-25T08:00+99:00", "٢٠٢٦-٠٦-٢٥", "now"]


def values(*choices: str) -> st.SearchStrategy[str]:
    """A field's value: one of its valid ``choices``, a number, or any text."""
    options = [st.sampled_from(NUMBERS), odd_text(60)]
    if choices:
        options.insert(0, st.sampled_from(choices))
    return st.one_of(*options)


def yaml_texts() -> st.SearchStrategy[str]:
    lines = CONTENT.splitlines()
    spliced = st.builds(lambda at, text: "\n".join(lines[:at] + [text] + lines[at + 1:]),
                        st.integers(0, len(lines) - 1), odd_text(60))
    return st.one_of(st.just(CONTENT), spliced, st.builds(lambda a, b: CONTENT.replace(a, b), st.sampled_from(
        ["single", "park_name", "2026-06-30T21:00:00+09:00", "urguy", "ru", "options", "polls"]),
        st.one_of(st.sampled_from(NUMBERS), st.sampled_from(DATES), odd_text(20))), odd_text())


STATUSES = ("new", "in_review", "with_experts", "accepted", "partly_accepted", "not_feasible", "duplicate", "spam")
# Each form that POSTs: its path (``{name}`` filled with an id from ``Panel.ids`` or an odd
# number) and its fields with the values each may take; a field may also be left out or doubled.
FORMS: dict[str, dict[str, st.SearchStrategy[str]]] = {
    "/admin/answers": {"title": values("Спасибо"), "text": values("Спасибо!"), "id": values("{template}")},
    "/admin/answers/{template}/delete": {},
    "/admin/broadcasts": {"title": values("Новости"), "text_ru": values("Привет, {name}!", "{{ name }}", "{% if %}"),
                          "text_en": values("Hello"), "topic": values("episodes", "news", "results"),
                          "channels": values("webchat", "telegram", "vk", "max", "whatsapp", "gateway", "ok"),
                          "source": values("poster_1"), "send_at": st.one_of(st.sampled_from(DATES), values()),
                          "action": values("draft", "preview")},
    "/admin/broadcasts/{broadcast}/pause": {},
    "/admin/broadcasts/{broadcast}/resume": {},
    "/admin/broadcasts/{broadcast}/cancel": {},
    "/admin/content": {"yaml": yaml_texts(), "action": values("save", "preview")},
    "/admin/operator": {"source": values("phone", "reception", "paper"), "point": values("Библиотека"),
                        "category": values("idea", "problem", "tree", "lost"),
                        "text": values("Поставить скамейки у пруда и фонарь"), "address": values("ул. Ленина, 3"),
                        "latitude": values("50.0979", "50,0979", "90", "-90.0001"),
                        "longitude": values("118.0372", "180", "-180.5"),
                        "author_name": values("Анна"), "author_contact": values("+79001234567")},
    "/admin/proposals/{proposal}/status": {"status": values(*STATUSES), "reason": values("Нет места"),
                                           "duplicate_of": values("{proposal}", "П-{proposal}")},
    "/admin/proposals/{proposal}/answer": {"text": values("Спасибо!")},
    "/admin/proposals/{proposal}/question": {"question": values("Где именно?")},
    "/admin/proposals/{proposal}/opinion": {"verdict": values("possible", "impossible", "needs_correction"),
                                            "comment": values("Нужна смета")},
    "/admin/proposals/bulk": {"query": values("status=new&page=2", "page=²"), "id": values("{proposal}"),
                              "status": values(*STATUSES), "reason": values("Нет места"),
                              "duplicate_of": values("{proposal}")},
    "/admin/users": {"username": values("fuzz-new", "a"), "role": values("admin", "staff", "moderator", "expert"),
                     "password": values("a long enough password"), "personal_data": values("on")},
    "/admin/users/{user}": {"role": values("admin", "staff", "moderator", "expert"), "active": values("on"),
                            "password": values("a long enough password"), "personal_data": values("on")},
}


def encoded(text: str) -> bytes:
    """A field as a browser would send it, but a lone surrogate stays: invalid UTF-8 bytes."""
    return text.encode("utf-8", "surrogatepass")


@st.composite
def submissions(draw, path: str, ids: dict[str, str]) -> tuple[str, bytes, dict[str, str]]:
    """A POST of the form at ``path``: the target, the body and the headers (with the token)."""
    for name, value in ids.items():
        path = path.replace("{" + name + "}", draw(st.sampled_from([value, value, value, "0", "99999999999999999999",
                                                                     "٣"])))
    pairs = []
    for field, strategy in FORMS[next(p for p in FORMS if _same_form(p, path))].items():
        for value in draw(st.lists(strategy, min_size=draw(st.sampled_from([0, 1, 1, 1])), max_size=2)):
            for name, known_id in ids.items():
                value = value.replace("{" + name + "}", known_id)
            pairs.append((field, value))
    pairs += draw(st.lists(st.tuples(st.sampled_from(["csrf", "next", "photo", "x"]), odd_text(20)), max_size=1))
    if path == "/admin/operator" and draw(st.booleans()):
        pairs.append(("photo", JPEG))
    body, content_type = draw(form_bodies(pairs))
    return path, body, {"Content-Type": content_type}


@st.composite
def form_bodies(draw, pairs: list[tuple[str, str | bytes]]) -> tuple[bytes, str]:
    """The fields as an urlencoded form (percent-encoded, or raw bytes as no browser sends them)
    or a multipart form (its parts now and then with a charset or a transfer encoding)."""
    kind = draw(st.sampled_from(["urlencoded", "urlencoded", "raw", "multipart", "multipart"]))
    if kind != "multipart":
        quote = (lambda b: quote_from_bytes(b, safe="")) if kind == "urlencoded" else (lambda b: b.decode("latin-1"))
        body = "&".join(f"{quote(encoded(k))}={quote(v if isinstance(v, bytes) else encoded(v))}"
                        for k, v in pairs).encode("latin-1")
        return body, draw(st.sampled_from(["application/x-www-form-urlencoded",
                                           "application/x-www-form-urlencoded; charset=nonesuch"]))
    boundary = "fuzzPanelBoundary7MA4YWxkTrZu0gW"
    parts = []
    for k, v in pairs:
        headers = b'Content-Disposition: form-data; name="' + encoded(k) + b'"'
        if isinstance(v, bytes):
            headers += b'; filename="photo.jpg"\r\nContent-Type: image/jpeg'
        else:
            headers += draw(st.sampled_from([b"", b"", b"", b"\r\nContent-Type: text/plain; charset=nonesuch",
                                             b"\r\nContent-Type: application/octet-stream",
                                             b"\r\nContent-Transfer-Encoding: x"]))
        parts.append(b"--" + boundary.encode() + b"\r\n" + headers + b"\r\n\r\n"
                     + (v if isinstance(v, bytes) else encoded(v)) + b"\r\n")
    return b"".join(parts) + b"--" + boundary.encode() + b"--\r\n", f"multipart/form-data; boundary={boundary}"


def _same_form(pattern: str, path: str) -> bool:
    pattern_parts, path_parts = pattern.split("/"), path.split("/")
    return len(pattern_parts) == len(path_parts) and all(
        a == b or a.startswith("{") for a, b in zip(pattern_parts, path_parts))


# -- the tests --------------------------------------------------------------------------------

@pytest.mark.parametrize("form", sorted(FORMS))
@budget(12)
@given(data=st.data())
async def test_every_form_answers_any_fields_below_500(panel, form, data):
    target, body, headers = data.draw(submissions(form, panel.ids), "submission")
    await submitted(panel, target, body, headers)


BOUNDARY = "--fuzzPanelBoundary7MA4YWxkTrZu0gW"
MULTIPART = {"Content-Type": "multipart/form-data; boundary=fuzzPanelBoundary7MA4YWxkTrZu0gW"}
URLENCODED = {"Content-Type": "application/x-www-form-urlencoded"}
FINDINGS = [  # the smallest examples found, tried on every run
    ("/admin/answers", f'{BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\n'.encode()
     + b"\xed\xa0\x80\r\n" + f"{BOUNDARY}--\r\n".encode(), MULTIPART),
    ("/admin/answers", b"title=\xd0", URLENCODED),
    ("/admin/answers", b"title=x", {"Content-Type": "application/x-www-form-urlencoded; charset=nonesuch"}),
    ("/admin/answers", f'{BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n'
                       f'Content-Transfer-Encoding: x\r\n\r\nx\r\n{BOUNDARY}--\r\n'.encode(), MULTIPART),
    ("/admin/answers/99999999999999999999/delete", b"", URLENCODED),
    ("/admin/broadcasts/99999999999999999999/pause", b"", URLENCODED),
    ("/admin/proposals/99999999999999999999/status", b"status=new", URLENCODED),
    ("/admin/proposals/bulk", b"id=99999999999999999999&status=new", URLENCODED),
    ("/admin/users/99999999999999999999", b"role=staff", URLENCODED),
    ("/admin/answers", b"title=a&text=b&id=99999999999999999999", URLENCODED),
    ("/admin/answers", b"title=a&text=b&id=%C2%B2", URLENCODED),
    ("/admin/proposals/bulk", b"id=%C2%B2&status=new", URLENCODED),
]


@pytest.mark.parametrize("target, body, headers", FINDINGS, ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(FINDINGS)])
async def test_the_findings_are_answered_below_500(panel, target, body, headers):
    await submitted(panel, target, body, headers)


async def submitted(panel: Panel, target: str, body: bytes, headers: dict[str, str]) -> None:
    status, text = await panel.send("POST", target, body, {**headers, "X-CSRF-Token": panel.browser.csrf})
    assert status < 500, (status, text[:300])
    tracebacks = await panel.bot.settled()
    assert not tracebacks, tracebacks


FILTERS = ["status", "category", "channel", "source", "from", "to", "photo", "location", "q"]
# Each page the panel serves, with the query parameters it reads (``notice`` is read by all).
PAGES = {
    "/admin/": [], "/admin/proposals": [*FILTERS, "page"], "/admin/proposals/{proposal}": ["template"],
    "/admin/answers": [], "/admin/audit": ["user", "action", "before"], "/admin/broadcasts": [],
    "/admin/broadcasts/{broadcast}": [], "/admin/broadcasts/{broadcast}/progress": [],
    "/admin/content": ["kind", "key"], "/admin/exports": [],
    "/admin/exports/download": [*FILTERS, "format", "kind", "personal"], "/admin/operator": [],
    "/admin/posters": ["source"], "/admin/posters/poster_1": [], "/admin/posters/poster_1/telegram.svg": [],
    "/admin/posters/poster_1/vk.png": [], "/admin/settings": [], "/admin/stats": ["since"], "/admin/users": [],
    "/admin/login": ["next"], "/admin/static/panel.css": [], "/admin/dead-letters": ["before"],
    "/admin/photos/00/" + "0" * 64 + ".jpg": [],
}
WORDS = ["csv", "xlsx", "geojson", "json", "proposals", "polls", "surveys", "quizzes", "contests", "series", "new",
         "idea", "webchat", "1", "on", "park_name", "/admin/", "//evil.example", "/admin/../x"]


@st.composite
def page_requests(draw) -> str:
    """A page with some of the parameters it reads, odd values; ``{proposal}`` and the like
    stand for the ids of things that exist, filled in by the test."""
    path = draw(st.sampled_from(sorted(PAGES)))
    parameters = PAGES[path] + (["notice"] if draw(st.integers(0, 4)) == 0 else [])
    for name in ("proposal", "broadcast"):
        path = path.replace("{" + name + "}", draw(st.sampled_from(
            ["{" + name + "}", "{" + name + "}", "99999999999999999999", "٣"])))
    value = st.one_of(st.sampled_from(NUMBERS), st.sampled_from(DATES), st.sampled_from(WORDS),
                      odd_text(30, long=False))
    pairs = [(name, draw(value)) for name in parameters if draw(st.booleans())]
    query = "&".join(f"{quote_from_bytes(encoded(k), safe='')}={quote_from_bytes(encoded(v), safe='')}"
                     for k, v in pairs)
    return f"{path}?{query}"


@budget(60)
@given(target=page_requests())
@example(target="/admin/proposals?page=%C2%B2")
@example(target="/admin/audit?before=%C2%B2")
@example(target="/admin/proposals/99999999999999999999")
@example(target="/admin/operator")
async def test_every_page_answers_odd_queries_below_500(panel, target):
    for name, value in panel.ids.items():
        target = target.replace("{" + name + "}", value)
    status, text = await panel.send("GET", target)
    assert status < 500, (status, text[:300])


@budget(15)
@given(username=st.one_of(st.just(ADMIN), odd_text(30, long=False)), password=odd_text(30, long=False),
       after=st.one_of(st.just("/admin/"), odd_text(30, long=False)))
async def test_the_login_form_answers_any_fields_below_500(panel, username, password, after):
    async with StaffBrowser.of(panel.bot.app) as stranger:
        form = await stranger.get("/admin/login")
        token = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        body = "&".join(f"{k}={quote_from_bytes(encoded(v), safe='')}" for k, v in
                        [("csrf", token), ("username", username), ("password", password), ("next", after)])
        async with stranger.http.post(stranger.base + "/admin/login", data=body.encode(), allow_redirects=False,
                                      headers={"Content-Type": "application/x-www-form-urlencoded"}) as response:
            assert response.status < 500, (response.status, (await response.text())[:300])
