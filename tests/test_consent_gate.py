"""Nothing is stored before consent, whatever a resident's client sends (issue 10, point 3).

A session that never consented sends every button the bot knows (every payload namespace, with
real keys from the shipped campaign), free text, commands, photos, places and contacts, in every
conversation step the bot has, and afterwards nothing of it is stored: no proposal, ballot,
survey answer, quiz attempt, contest entry or vote, subscription; no name or phone on the
resident. The namespaces and steps are read from the routers themselves, so a feature added
later is covered without anyone remembering this file.
"""
from __future__ import annotations

import ast
import asyncio
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable

import pytest

import bot.core.payloads
from bot.config import Settings
from bot.content import ContentFile, load_content
from bot.core import keyboard_memory
from bot.core.routing import steps_needing_consent
from channels.webchat.channel import session_ref
from handlers import get_routers
from tests.drivers import CAMPAIGN, ROOT, load_content_into, load_world
from tests.journey import JPEG, all_text, last_buttons, onboard, propose
from tests.stored import personal_fields, rows_not_of, rows_of

pytestmark = pytest.mark.both_engines  # a journey: on SQLite and on PostgreSQL (tests/conftest.py)

SOURCES = ("bot", "handlers", "admin", "broadcasts", "channels")  # wherever a button is made
IDEA = "Поставить скамейки у пруда и фонарь"
ACTIONS_PER_STRANGER = 20
FORGED_QUESTION = "0a0b0c0d"  # the id on the buttons of a forged "which is this text?" question


# -- what the bot knows, from its own code ------------------------------------------------------

def routed_namespaces() -> set[str]:
    return {namespace for router in get_routers() for namespace in router.namespaces}


def routed_commands() -> set[str]:
    return {name for router in get_routers() for handler in router.handlers
            for check in handler.filters for name in getattr(check, "commands", ())}


def steps() -> set[str]:
    return {state for router in get_routers() for state in router.prompts}


def encoded_namespaces() -> set[str]:
    """The namespace of every ``encode(...)`` call in the code, resolved from a literal, a module
    constant, or the literal that the callers of the enclosing function pass for it."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), str(path))
             for package in SOURCES for path in sorted((ROOT / package).rglob("*.py"))
             if path.name != "__main__.py"}  # importing it would run the program
    found: set[str] = set()
    unresolved: list[str] = []
    for path, tree in trees.items():
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for enclosing, call in _calls(tree, ()):
            if not _is_encode(module, call) or not call.args:
                continue
            first = call.args[0]
            # the innermost function with a parameter of that name (a closure's outer function too)
            function = next((f for f in reversed(enclosing) if isinstance(first, ast.Name)
                             and first.id in _parameters(f)), None)
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
            elif isinstance(first, ast.Name) and isinstance(getattr(module, first.id, None), str):
                found.add(getattr(module, first.id))
            elif function is not None:
                passed = _passed_for(trees, function.name, _parameters(function).index(first.id), first.id)
                found |= {value for value in passed if value is not None}
                if None in passed or not passed:
                    unresolved.append(f"{path.name}:{call.lineno}")
            else:
                unresolved.append(f"{path.name}:{call.lineno}")
    assert not unresolved, f"encode(...) with a namespace this test cannot read: {unresolved}"
    return found


def _calls(node: ast.AST, functions: tuple[ast.AST, ...]):
    """Every call under ``node``, with the functions it is inside of (outermost first)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Call):
            yield functions, child
        inner = (*functions, child) if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else functions
        yield from _calls(child, inner)


def _is_encode(module: Any, call: ast.Call) -> bool:
    match call.func:
        case ast.Name(id=name):
            return getattr(module, name, None) is bot.core.payloads.encode
        case ast.Attribute(value=ast.Name(id=owner), attr="encode"):
            return getattr(module, owner, None) is bot.core.payloads
    return False


def _parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    return [a.arg for a in (*function.args.posonlyargs, *function.args.args)]


def _passed_for(trees: dict[Path, ast.Module], name: str, index: int, keyword: str) -> list[str | None]:
    """What every call of ``name`` passes for its parameter (None where it is not a literal)."""
    passed: list[str | None] = []
    for tree in trees.values():
        for _, call in _calls(tree, ()):
            called = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)
            if called != name:
                continue
            given = call.args[index] if index < len(call.args) else next(
                (k.value for k in call.keywords if k.arg == keyword), None)
            literal = isinstance(given, ast.Constant) and isinstance(given.value, str)
            passed.append(given.value if literal else None)
    return passed


# -- what a resident's client can send ------------------------------------------------------------

@dataclass(frozen=True)
class Action:
    """One thing a resident sends; ``contact`` needs a messenger that vouches for phone numbers."""

    name: str
    send: Callable[[Any], Awaitable[Any]]
    contact: bool = False
    press: bool = False

    def __str__(self) -> str:
        return self.name


def press(payload: str) -> Action:
    return Action(payload, lambda resident: resident.press(payload), press=True)


def say(text: str) -> Action:
    return Action(repr(text), lambda resident: resident.send_text(text))


PHOTO = Action("photo", lambda resident: resident.send_photo(JPEG))
PLACE = Action("location", lambda resident: resident.send_location(50.0958, 118.0317))
CONTACT = Action("contact", lambda resident: resident.send_contact("+7 914 123-45-67"), contact=True)


@dataclass(frozen=True)
class Campaign:
    """The real keys residents meet: the shipped campaign, the configured categories and topics,
    and the numbers of an approved work and a proposal by someone who did consent."""

    content: ContentFile
    settings: Settings
    entries: tuple[int, ...]
    proposal: int


def forged_buttons(c: Campaign) -> dict[str, list[str]]:
    """Plausible presses for every namespace, arguments taken from the campaign."""
    polls, surveys, quizzes, contests = c.content.polls, c.content.surveys, c.content.quizzes, c.content.contests
    survey_answers = []
    for survey in surveys:
        for position, question in enumerate(survey.questions):
            values = [o.key for o in question.options] + [str(n) for n in question.scale if question.type == "scale"]
            survey_answers += [f"sa:{survey.key}:1:{position}:{v}" for v in (*values, "_skip", "_done")]
    return {
        "consent": ["consent:yes", "consent:no", "consent:more"],
        "lang": ["lang:ru", "lang:en"],
        "menu": [f"menu:{item}" for item in ("propose", "polls", "surveys", "quizzes", "contests", "episode",
                                              "mine", "ideas", "join", "subscriptions", "about", "privacy",
                                              "language", "consent")],
        "nav": ["nav:back", "nav:cancel", "nav:menu", "nav:start"],
        "priv": ["priv:forget", "priv:keep", "priv:confirm"],
        "cat": [f"cat:{category.key}" for category in c.settings.proposals.categories],
        "prop": ["prop:photo", "prop:category", "prop:confirm", "prop:send", f"prop:support:{c.proposal}"],
        "poll": [f"poll:{poll.key}" for poll in polls],
        "vote": [f"vote:{poll.key}:{option.key}" for poll in polls for option in poll.options]
                + [f"vote:{poll.key}:_done" for poll in polls] + [f"vote:{polls[0].key}:{polls[0].options[0].key}:5"],
        "survey": [f"survey:{survey.key}" for survey in surveys],
        "sa": survey_answers,
        "quiz": [f"quiz:{quiz.key}" for quiz in quizzes],
        "qa": [f"qa:{quiz.key}:{n}:{option.key}" for quiz in quizzes
               for n, question in enumerate(quiz.questions) for option in question.options],
        "qlb": [f"qlb:{quiz.key}:{answer}" for quiz in quizzes for answer in ("yes", "no")],
        "contest": [f"contest:{contest.key}" for contest in contests],
        "cpage": [f"cpage:{contest.key}:{action}" for contest in contests for action in ("enter", "vote")],
        "ccat": [f"ccat:{contest.key}:{o.key}" for contest in contests for o in contest.categories],
        "cage": [f"cage:{contest.key}:{o.key}" for contest in contests for o in contest.age_groups],
        "cskip": [f"cskip:{contest.key}:{what}" for contest in contests for what in ("photo", "text")],
        "cvc": [f"cvc:{contest.key}:{o.key}" for contest in contests for o in contest.categories],
        "cv": [f"cv:{contest.key}:{entry}" for contest in contests for entry in c.entries],
        "cmore": [f"cmore:{contest.key}:{offset}" for contest in contests for offset in (0, 10)],
        "sub": [f"sub:{topic.key}" for topic in c.settings.subscriptions.topics],
        "fix": [f"fix:{c.proposal}"],
        "which": [f"which:{FORGED_QUESTION}:{c.proposal}", f"which:{FORGED_QUESTION}:flow"],
        "sms": [f"sms:{poll.key}:{action}" for poll in polls for action in ("resend", "number")],
        "ideas": ["ideas:page:1", "ideas:page:2"],
        "join": ["join:agree", "join:again", "join:leave", "join:other", "join:done",
                 *(f"join:kind:{kind}" for kind in ("person", "organisation")),
                 *(f"join:contact:{kind}" for kind in ("phone", "email", "messenger")),
                 *(f"join:help:{option.key}" for option in c.settings.joining.help_options)],
    }


def actions(c: Campaign) -> list[Action]:
    buttons = [press(p) for payloads in forged_buttons(c).values() for p in payloads]
    commands = [say(f"/{name}") for name in sorted(routed_commands())] + [say("/start poll-park_name")]
    return [*buttons, say(IDEA), say("42"), say("50.1, 118.0"), *commands, PHOTO, PLACE, CONTACT]


# -- the conversation steps, and how a resident gets into each -------------------------------------

# Steps open before consent are entered the way a resident enters them.
ENTERED = {"": "/menu", "onboarding:consent": "/start", "onboarding:language": "/language",
           "privacy": "/privacy", "privacy:confirm": "/forget"}


def forged_steps(c: Campaign) -> dict[str, dict[str, Any]]:
    """Steps only a consenting resident reaches, with the data that step holds; set in the
    database directly, as if consent had been given and then were gone."""
    poll, survey, quiz, contest = c.content.polls[1], c.content.surveys[0], c.content.quizzes[0], c.content.contests[0]
    work = {"contest": contest.key, "category": contest.categories[0].key, "age_group": contest.age_groups[0].key}
    draft = {"category": c.settings.proposals.categories[0].key, "text": IDEA}
    joining = {"consent_at": "2026-06-01T00:00:00.000000+00:00", "kind": "person", "name": "Анна",
               "contact_kind": "phone", "contact": "+79141234567", "help": [c.settings.joining.help_options[0].key]}
    return {
        "proposal:text": {}, "proposal:category": {"text": IDEA},
        "proposal:draft": {**draft, "photos": [], "address": "у пруда"},
        "proposal:similar": {**draft, "photos": [], "similar": [c.proposal], "similar_for": IDEA},
        "polls": {}, "poll:choose": {"poll": poll.key, "picked": [], "scores": {}}, "poll:phone": {"poll": poll.key},
        "poll:code": {"poll": poll.key, "phone": "+79141234567"},
        "surveys": {}, "survey:question": {"survey": survey.key, "picked": []},
        "quizzes": {}, "quiz:question": {"quiz": quiz.key, "question": 0}, "quiz:leaderboard": {"quiz": quiz.key},
        "contests": {}, "contest:page": {"contest": contest.key}, "contest:category": {"contest": contest.key},
        "contest:age": {k: work[k] for k in ("contest", "category")}, "contest:photo": work, "contest:text": work,
        "contest:vote_category": {"contest": contest.key},
        "contest:vote": {"contest": contest.key, "category": work["category"], "offset": 0},
        "subscriptions": {}, "correction:text": {"proposal": c.proposal},
        "correction:which": {"category": draft["category"],
                             "which": {"text": IDEA, "step": "proposal:text", "id": FORGED_QUESTION}},
        "join:consent": {}, "join:kind": {"join": joining}, "join:name": {"join": joining},
        "join:contact": {"join": joining}, "join:contact_value": {"join": joining},
        "join:help": {"join": joining}, "join:other": {"join": joining},
    }


def walks(c: Campaign) -> dict[str, list[Action]]:
    """The presses a consenting resident makes from the menu to reach a step: tried first, as the
    report of this issue did, before the step is forged."""
    poll, survey, quiz, contest = c.content.polls[1], c.content.surveys[0], c.content.quizzes[0], c.content.contests[0]
    category, age = contest.categories[0].key, contest.age_groups[0].key
    propose_ = [press("menu:propose"), say(IDEA), press("prop:category")]
    page = [press("menu:contests"), press(f"contest:{contest.key}")]
    entry = [*page, press(f"cpage:{contest.key}:enter"), press(f"ccat:{contest.key}:{category}"),
             press(f"cage:{contest.key}:{age}"), press(f"cskip:{contest.key}:photo")]
    answers = [press(f"qa:{quiz.key}:{n}:{q.answer}") for n, q in enumerate(quiz.questions)]
    return {
        "proposal:text": propose_[:1], "proposal:draft": propose_[:2], "proposal:category": propose_,
        "polls": [press("menu:polls")], "poll:choose": [press("menu:polls"), press(f"poll:{poll.key}")],
        "surveys": [press("menu:surveys")], "survey:question": [press("menu:surveys"), press(f"survey:{survey.key}")],
        "quizzes": [press("menu:quizzes")], "quiz:question": [press("menu:quizzes"), press(f"quiz:{quiz.key}")],
        "quiz:leaderboard": [press("menu:quizzes"), press(f"quiz:{quiz.key}"), *answers],
        "contests": page[:1], "contest:page": page, "contest:category": entry[:3], "contest:age": entry[:4],
        "contest:photo": entry[:5], "contest:text": entry,
        "contest:vote_category": [*page, press(f"cpage:{contest.key}:vote")],
        "contest:vote": [*page, press(f"cpage:{contest.key}:vote"), press(f"cvc:{contest.key}:{category}")],
        "subscriptions": [press("menu:subscriptions")],
        "join:consent": [press("menu:join")], "join:kind": [press("menu:join"), press("join:agree")],
        "join:name": [press("menu:join"), press("join:agree"), press("join:kind:person")],
    }


# -- the world: a campaign, someone who took part, and a stranger ----------------------------------

async def campaign_with_a_participant(world) -> tuple[Campaign, int]:
    """Load the shipped campaign; a consenting resident proposes (and is asked by staff to correct
    it) and sends a work to each contest category, which staff approve. Returns the campaign's
    keys and that resident's id: their rows are the only ones allowed."""
    await load_content_into(world.app, CAMPAIGN)
    content = load_content(CAMPAIGN)
    person = world.resident(99)
    await onboard(person)
    proposal = int((await propose(person, photo=False, point=None)).split("-")[-1])
    contest, entries = content.contests[0], []
    for category in contest.categories:
        for payload in ("menu:contests", f"contest:{contest.key}", f"cpage:{contest.key}:enter",
                        f"ccat:{contest.key}:{category.key}", f"cage:{contest.key}:{contest.age_groups[0].key}",
                        f"cskip:{contest.key}:photo"):
            await person.press(payload)
        sent = all_text(await person.send_text("Парк с озером и каруселью"))
        entries += [int(word.strip("№.,")) for word in sent.split() if word.startswith("№")]
    assert len(entries) == len(contest.categories), entries
    async with world.app.db.transaction() as tx:
        for entry in entries:
            assert await tx.contests.decide(entry, "approved") == "pending"
        await tx.moderation.ask_correction(proposal, "Уточните, у какого пруда?", "модератор")
        author = await tx.moderation.author(proposal)
    return Campaign(content, world.app.settings, tuple(entries), proposal), author[0]


def external_id(channel: str, resident: Any) -> str:
    return session_ref(resident.session).external_id if channel == "webchat" else str(resident.user_id)


@dataclass
class Stranger:
    """A resident who never consents, and what was found stored for them."""

    world: Any
    resident: Any
    channel: str
    campaign: Campaign | None  # None when no step is forged
    found: list[str]

    @property
    def ref(self) -> tuple[str, str]:
        return self.channel, external_id(self.channel, self.resident)

    async def row(self):
        return await self.world.app.db.reader.residents.find(*self.ref)

    async def stored(self) -> tuple[dict[str, int], dict[str, object]]:
        row = await self.row()  # none after /forget, until the next message
        return (await rows_of(self.world.app.db, row.id) if row else {}), personal_fields(row)

    async def enter(self, state: str) -> None:
        if state in ENTERED:  # the way a resident gets there
            await self.resident.send_text(ENTERED[state])
            assert (await self.row()).state == state, f"{ENTERED[state]} did not lead to {state!r}"
            return
        async with self.world.app.db.transaction() as tx:  # as if consent had been given and were gone
            resident = await tx.residents.get_or_create(*self.ref)
            resident.state, resident.state_data = state, dict(forged_steps(self.campaign)[state])
            await tx.residents.save_states([resident])

    async def send(self, where: str, action: Action) -> None:
        """Send one action; note anything it stored, and a step needing consent that it reached."""
        before = await self.stored()
        await action.send(self.resident)
        after = await self.stored()
        grown = {table: count for table, count in after[0].items() if count > before[0].get(table, 0)}
        fields = {name: value for name, value in after[1].items() if before[1].get(name) != value}
        if grown or fields:
            self.found.append(f"in {where!r}, {action}: stored {grown or ''}{fields or ''}")
        row = await self.row()
        if row is not None and row.state in steps_needing_consent(get_routers()):
            self.found.append(f"in {where!r}, {action}: reached {row.state!r}")

    async def try_everything_in(self, state: str, walk: list[Action], sent: list[Action]) -> None:
        """Walk the way to ``state`` as a consenting resident would; then, entering the step
        before each, send every action in it."""
        await self.enter("")
        for action in walk:
            await self.send(f"the way to {state}", action)
        for action in sent:
            if state == "onboarding:consent" and action.name == "consent:yes":
                continue  # the one press that gives consent
            await self.enter(state)
            await self.send(state, action)


# -- the tests ---------------------------------------------------------------------------------

def test_the_routers_name_every_namespace_the_bot_puts_on_a_button_and_no_other():
    # The pages of a long keyboard are turned by the core itself, before any router.
    assert encoded_namespaces() == routed_namespaces() | {keyboard_memory.PAGE}


# The web chat gets every action in every step. A messenger's buttons become the same events, so
# there every press goes to the steps a resident reaches without consent, and what the messenger
# parses its own way (text, commands, photos it downloads, places, contacts) goes to every step.
@pytest.mark.parametrize("channel, every_press_everywhere", [("webchat", True), ("telegram", False)])
async def test_a_resident_without_consent_stores_nothing_whatever_they_send_in_any_step(
        tmp_path, channel, every_press_everywhere):
    # Each stranger sends a whole step's worth of actions within seconds: more than a browser
    # may send in a minute (that limit has tests of its own).
    async with load_world(channel)(tmp_path, SOUCHASTIE_WEBCHAT_MESSAGES_PER_MINUTE_PER_SESSION="100000") as world:
        campaign, owner = await campaign_with_a_participant(world)
        assert set(forged_buttons(campaign)) == routed_namespaces(), "a namespace without forged presses here"
        assert set(forged_steps(campaign)) | set(ENTERED) == steps(), "a step this test cannot enter"
        found: list[str] = []
        contacts = hasattr(world.resident(0), "send_contact")
        sendable = [a for a in actions(campaign) if contacts or not a.contact]
        work = []  # (step, the actions one stranger sends in it): many strangers at once, as residents are
        for state in sorted(steps()):
            sent = [a for a in sendable if every_press_everywhere or state in ENTERED or not a.press]
            work += [(state, sent[i:i + ACTIONS_PER_STRANGER]) for i in range(0, len(sent), ACTIONS_PER_STRANGER)]
        await asyncio.gather(*(
            Stranger(world, world.resident(n), channel, campaign, found).try_everything_in(
                state, walks(campaign).get(state, []), sent) for n, (state, sent) in enumerate(work, start=1)))
        assert found == [], "\n".join(found)
        assert await rows_not_of(world.app.db, {owner}) == {}  # also nothing left anonymously by /forget


async def test_the_gate_asks_for_consent_once_and_then_opens_what_was_pressed(tmp_path):
    async with load_world("webchat")(tmp_path) as world:
        await load_content_into(world.app, CAMPAIGN)
        resident = world.resident()
        await resident.send_text("/menu")
        gated = await resident.press("poll:park_name")  # a poll's button, before consent
        needed = world.app.dispatcher.texts.get("ru", "consent.needed")
        assert [m.text for m in gated].count(needed) == 1
        assert "consent:yes" in last_buttons(gated) and not any(p.startswith("vote:") for p in last_buttons(gated))
        await resident.press("consent:yes")
        ballot = await resident.press("lang:ru")  # the driver's browser reports no language: it is asked
        assert "vote:park_name:urguy" in last_buttons(ballot)


async def test_the_gate_keeps_a_posters_link_while_it_asks_for_consent(tmp_path):
    async with load_world("webchat")(tmp_path) as world:
        await load_content_into(world.app, CAMPAIGN)
        resident = world.resident()
        await resident.send_text("/start poll-zones")  # from a poster: consent first, then the poll
        gated = await resident.press("fix:1")  # a correction's button: needs consent, at any step
        assert world.app.dispatcher.texts.get("ru", "consent.needed") in all_text(gated)
        assert "consent:yes" in last_buttons(gated)
        await resident.press("consent:yes")
        ballot = await resident.press("lang:ru")
        assert "vote:zones:playground" in last_buttons(ballot)


@pytest.mark.parametrize("channel", ["webchat", "telegram"])
async def test_no_photo_file_is_kept_for_a_resident_without_consent(tmp_path, channel):
    async with load_world(channel)(tmp_path) as world:
        await load_content_into(world.app, CAMPAIGN)
        stranger = Stranger(world, world.resident(1), channel, None, [])
        await stranger.resident.send_text("/start")
        await stranger.resident.send_photo(JPEG)
        async with world.app.db.transaction() as tx:  # a photo step, as if consent had been given
            resident = await tx.residents.get_or_create(*stranger.ref)
            resident.state, resident.state_data = "proposal:draft", {"category": "idea", "text": IDEA}
            await tx.residents.save_states([resident])
        await stranger.resident.send_photo(JPEG)
        folder = world.app.settings.storage.attachments_dir
        assert [path for path in folder.rglob("*") if path.is_file()] == []
