"""The web chat answers anything a browser (or anyone) sends with less than 500, keeps every event
it stored processed, and keeps answering other residents: arbitrary JSON, hostile texts, buttons
and places at each step of a conversation, odd multipart forms, odd long polls."""
from __future__ import annotations

import re
import string
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import example, given, strategies as st

from tests.fuzz.budget import budget
from tests.fuzz.strategies import Raw, dumps, json_values, odd_numbers, odd_text
from tests.fuzz.world import WEBCHAT
from tests.journey import JPEG

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("still_answering"),
              pytest.mark.filterwarnings("ignore::UserWarning:maxapi"),
              # aiohttp warns of the odd Content-Disposition headers these tests send on purpose.
              pytest.mark.filterwarnings("ignore::aiohttp.multipart.BadContentDispositionHeader")]

HEX = "0123456789abcdef"
NAMESPACES = ["consent", "lang", "menu", "nav", "cat", "prop", "poll", "vote", "survey", "sa", "quiz", "qa",
              "qlb", "contest", "cpage", "ccat", "cage", "cskip", "cv", "cvc", "cmore", "priv", "sub", "episode"]
GOOD_PAYLOADS = ["consent:yes", "consent:no", "consent:more", "lang:ru", "lang:en", "menu:propose", "menu:polls",
                 "menu:surveys", "menu:quizzes", "menu:contests", "menu:privacy", "menu:subscriptions", "menu:mine",
                 "nav:back", "nav:cancel", "nav:menu", "cat:idea", "prop:photo", "prop:category", "prop:confirm",
                 "poll:park_name", "poll:zones", "poll:rate", "vote:park_name:urguy", "survey:opinion",
                 "sa:opinion:1:0:never", "quiz:park", "priv:forget", "priv:confirm", "priv:keep"]
TEXT = "Поставить скамейки у пруда и фонарь"
MENU = [("text", "/start"), ("button", "consent:yes"), ("button", "lang:ru")]
# Where a resident may be when the odd thing arrives: each is walked to with ordinary actions.
STEPS = {
    "new": [],
    "consent": [("text", "/start")],
    "menu": MENU,
    "proposal text": MENU + [("button", "menu:propose")],
    "proposal draft": MENU + [("button", "menu:propose"), ("text", TEXT)],
    "proposal category": MENU + [("button", "menu:propose"), ("text", TEXT), ("button", "prop:category")],
    "poll": MENU + [("button", "menu:polls"), ("button", "poll:park_name")],
    "survey text": MENU + [("button", "menu:surveys"), ("button", "survey:opinion"),
                           ("button", "sa:opinion:1:0:never")],
    "quiz": MENU + [("button", "menu:quizzes"), ("button", "quiz:park")],
    "forget": MENU + [("button", "menu:privacy"), ("button", "priv:forget")],
}




# -- strategies -------------------------------------------------------------------------------

def sessions() -> st.SearchStrategy:
    valid = st.binary(min_size=16, max_size=64).map(bytes.hex)
    return st.one_of(valid, valid.map(str.upper), st.text(HEX, max_size=140), odd_text(), json_values(4))


def payloads() -> st.SearchStrategy[str]:
    arguments = st.lists(st.one_of(st.text(string.ascii_letters + string.digits + "_-", max_size=12), odd_text(12)),
                         max_size=4)
    built = st.builds(lambda namespace, args: ":".join([namespace, *args]), st.sampled_from(NAMESPACES), arguments)
    return st.one_of(st.sampled_from(GOOD_PAYLOADS), built, odd_text())


def locations() -> st.SearchStrategy:
    number = st.one_of(st.floats(-200, 200), odd_numbers(), odd_text(8))
    return st.one_of(st.fixed_dictionaries({"latitude": number, "longitude": number}), json_values(4))


def actions() -> st.SearchStrategy[dict]:
    """One thing a resident does, with odd values: text, a button or a place, or several at once."""
    return st.one_of(
        st.fixed_dictionaries({"text": odd_text(200)}),
        st.fixed_dictionaries({"button": payloads()}),
        st.fixed_dictionaries({"location": locations()}),
        st.dictionaries(st.sampled_from(["text", "button", "location"]), json_values(4), max_size=3),
    )


@st.composite
def messages(draw, session: st.SearchStrategy) -> dict:
    """A message shaped like the page's, any part of it odd, with extra keys sometimes."""
    message = {"session": draw(session)}
    if draw(st.booleans()):
        message["id"] = draw(st.one_of(st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=70),
                                       odd_text(), json_values(3)))
    if draw(st.booleans()):
        message["language"] = draw(st.one_of(st.sampled_from(["ru", "en", "de", "RU", "r"]), odd_text(5)))
    message.update(draw(actions()))
    message.update(draw(st.dictionaries(odd_text(10), json_values(3), max_size=2)))
    return message


# -- the checks ---------------------------------------------------------------------------------

async def answered(bot, body: bytes, source: str, headers: dict[str, str] | None = None) -> None:
    answer = await bot.post(WEBCHAT, body, headers, source=source)
    assert answer.status < 500, (answer.status, answer.text[:300])
    tracebacks = await bot.settled()
    assert not tracebacks, tracebacks


# -- the tests --------------------------------------------------------------------------------

SESSION = "0" * 32


@budget(80)
@given(value=st.one_of(json_values(), messages(sessions())), escaped=st.booleans(),
       content_type=st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain",
                                     "application/x-www-form-urlencoded", ""]))
# The smallest examples found, tried on every run whatever the strategies draw.
@example(value=Raw("9" * 4301), escaped=True, content_type="application/json")
@example(value={"session": SESSION, "location": {"latitude": Raw("9" * 4300), "longitude": 0}}, escaped=True,
         content_type="application/json")
@example(value={"session": SESSION, "button": "\ud800"}, escaped=True, content_type="application/json")
async def test_any_json_gets_an_answer_below_500(bot, value, escaped, content_type):
    await answered(bot, dumps(value, escaped), bot.next_address(), {"Content-Type": content_type})


@budget(30)
@given(body=st.one_of(st.binary(max_size=300), st.builds(lambda v, cut: dumps(v)[:cut], messages(sessions()),
                                                          st.integers(0, 80))))
async def test_bytes_that_are_no_json_get_an_answer_below_500(bot, body):
    await answered(bot, body, bot.next_address())


@budget(40)
@given(step=st.sampled_from(sorted(STEPS)), action=actions(), escaped=st.booleans(),
       session=st.binary(min_size=16, max_size=16).map(bytes.hex))
@example(step="proposal text", action={"text": "Скамейки \ud800"}, escaped=True, session=SESSION)
@example(step="consent", action={"button": "\ud800"}, escaped=False, session=SESSION)
async def test_a_resident_at_any_step_may_send_anything(bot, step, action, escaped, session):
    source = bot.next_address()
    for kind, value in STEPS[step]:
        walked = await bot.post(WEBCHAT, dumps({"session": session, kind: value}), source=source)
        if walked.status == 429:  # a limit on one resident's messages: the step is out of reach
            break
        assert walked.status == 200, (step, kind, value, walked.status, walked.text[:300])
    await answered(bot, dumps({"session": session, **action}, escaped), source)


# -- multipart forms ------------------------------------------------------------------------------

BOUNDARY = st.text(string.ascii_letters + string.digits + "'()+_,-./:=?", min_size=1, max_size=70)


@st.composite
def parts(draw) -> bytes:
    name = draw(st.one_of(st.sampled_from(["photo", "session", "id", "language"]), odd_text(10)))
    lines = [f'Content-Disposition: form-data; name="{name}"']
    if draw(st.booleans()):
        lines[0] += f'; filename="{draw(odd_text(20))}"'
    if draw(st.booleans()):
        lines.append("Content-Type: " + draw(st.sampled_from([
            "image/jpeg", "image/png", "text/plain", "x/y", "", "text/plain; charset=nonesuch",
            "text/plain; charset=utf-16"])))
    if draw(st.booleans()):
        lines.append("Content-Transfer-Encoding: " + draw(st.sampled_from(
            ["base64", "quoted-printable", "binary", "x"])))
    value = draw(st.one_of(st.just(JPEG), st.binary(max_size=200), st.binary(min_size=16, max_size=16).map(
        lambda b: b.hex().encode()), odd_text().map(lambda t: t.encode("utf-8", "surrogatepass"))))
    return "\r\n".join(lines).encode("utf-8", "surrogatepass") + b"\r\n\r\n" + value


@st.composite
def forms(draw) -> tuple[bytes, str]:
    boundary = draw(BOUNDARY)
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n"
                    for part in draw(st.lists(parts(), max_size=5)))
    if draw(st.booleans()):
        body += b"--" + boundary.encode() + b"--\r\n"
    if draw(st.booleans()):
        body = body[:draw(st.integers(0, len(body)))]
    header = draw(st.sampled_from([
        f"multipart/form-data; boundary={boundary}", f'multipart/form-data; boundary="{boundary}"',
        "multipart/form-data", "multipart/form-data; boundary=other", f"multipart/mixed; boundary={boundary}"]))
    return body, header


@budget(50)
@given(form=forms())
@example(form=(b'--b\r\nContent-Disposition: form-data; name="photo"; filename="\x1f"\r\n\r\nx\r\n--b--\r\n',
               "multipart/form-data; boundary=b"))
@example(form=(b'--b\r\nContent-Disposition: form-data; name="session"\r\nContent-Transfer-Encoding: x\r\n\r\n'
               b'x\r\n--b--\r\n', "multipart/form-data; boundary=b"))
@example(form=(b'--b\r\nContent-Disposition: form-data; name="session"\r\n'
               b'Content-Type: text/plain; charset=nonesuch\r\n\r\nx\r\n--b--\r\n', "multipart/form-data; boundary=b"))
async def test_odd_multipart_forms_get_an_answer_below_500(bot, form):
    body, content_type = form
    await answered(bot, body, bot.next_address(), {"Content-Type": content_type})


# -- long polls and pages ---------------------------------------------------------------------------

# Numbers as a query carries them: past SQLite's and float's range, unicode digits, other spellings.
NUMBERS = st.one_of(
    st.sampled_from(["9223372036854775808", "-9223372036854775809", "18446744073709551616", "1" + "0" * 309,
                     "9" * 5000]),
    st.sampled_from(["9223372036854775807", "²", "٣", "𝟗", "1e3", " 5", "0x10", "+1", "1_000", "", "-0", "0.5", "inf",
                     "nan", "-1", "0"]),
    st.integers().map(str))


@st.composite
def queries(draw) -> str:
    """A long poll's query: after and timeout each left out, odd or doubled, other parameters
    beside them, percent-encoded or not (a lone surrogate as ``%ED%A0%80``); now and then a
    session in the query, where it is refused (it travels in the X-Session header)."""
    pairs = []
    for key, values in (("after", NUMBERS), ("timeout", NUMBERS)):
        pairs += [(key, value) for value in draw(st.lists(values, min_size=draw(st.sampled_from([0, 1, 1])),
                                                          max_size=2))]
    if draw(st.integers(0, 4)) == 0:
        pairs.append(("session", draw(st.one_of(SESSION_HEADERS, odd_text(20, long=False)))))
    pairs += draw(st.lists(st.tuples(odd_text(8, long=False), odd_text(20, long=False)), max_size=2))
    pairs = draw(st.permutations(pairs))
    if draw(st.booleans()):  # a long poll that returns at once: the ones without wait 0.2 s
        pairs.append(("timeout", "0"))
    if draw(st.booleans()):
        encode = lambda text: quote_from_bytes(text.encode("utf-8", "surrogatepass"), safe="")  # noqa: E731
    else:
        encode = lambda text: re.sub(r"[^!-~]|[#%&=+]", lambda m: quote_from_bytes(  # noqa: E731
            m.group().encode("utf-8", "surrogatepass")), text)
    return "&".join(f"{encode(key)}={encode(value)}" for key, value in pairs)


# What the page sends in X-Session: mostly a valid token, sometimes anything printable.
SESSION_HEADERS = st.one_of(st.binary(min_size=16, max_size=16).map(bytes.hex),
                            st.binary(min_size=16, max_size=16).map(bytes.hex),
                            st.text(string.printable.strip(), max_size=40))

HEADERS = st.dictionaries(
    st.sampled_from(["Accept", "Accept-Encoding", "Accept-Language", "Range", "If-None-Match", "Cookie", "X-Session",
                     "Origin", "Referer", "Connection", "Cache-Control", "X-Forwarded-For", "Content-Type"]),
    st.text(string.printable.strip() + " ", max_size=40), max_size=3)


@budget(60)
@given(query=queries(), headers=HEADERS, session=st.one_of(st.none(), SESSION_HEADERS))
@example(query="after=9223372036854775808", headers={}, session="0" * 32)
@example(query="timeout=1" + "0" * 309, headers={}, session="0" * 32)
async def test_odd_long_polls_get_an_answer_below_500(bot, query, headers, session):
    if session is not None:
        headers = {**headers, "X-Session": session}
    answer = await bot.request("GET", f"{WEBCHAT}?{query}", headers=headers, source=bot.next_address())
    assert answer.status < 500, (answer.status, answer.text[:300])


@budget(15)
@given(target=st.sampled_from(["/chat", "/chat/chat.js", "/chat/chat.css", "/chat/map.js", "/chat/page.json",
                               "/chat/vendor/leaflet/leaflet.js", "/chat/vendor/leaflet/images/%2e%2e/%2e%2e/page.py",
                               "/", "/healthz"]), query=queries(),
       headers=HEADERS)
async def test_the_page_answers_odd_requests_below_500(bot, target, query, headers):
    answer = await bot.request("GET", f"{target}?{query}", headers=headers, source=bot.next_address())
    assert answer.status < 500, (answer.status, answer.text[:300])


PATHS = [WEBCHAT, "/chat", "/chat/chat.js", "/chat/page.json", "/chat/vendor/leaflet/leaflet.css", "/", "/healthz",
         "/webhook/vk", "/webhook/telegram", "/webhook/max", "/webhook/whatsapp", "/webhook/ok",
         "/api/gateway/events", "/admin", "/admin/", "/admin/login", "/admin/proposals", "/admin/static/panel.css",
         "/nowhere", "//", "/%2e%2e/%2e%2e/etc/passwd"]


@budget(25)
@given(method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND"]),
       path=st.sampled_from(PATHS), body=st.one_of(st.just(b""), st.binary(max_size=40)))
async def test_any_method_on_any_path_answers_below_500(bot, method, path, body):
    answer = await bot.request(method, path, body or None, source=bot.next_address())
    assert answer.status < 500, (method, path, answer.status, answer.text[:300])
