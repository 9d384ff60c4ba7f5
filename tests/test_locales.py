"""Every language the bot offers is complete, and every word a resident reads comes from it.

The town lies where Russian, Chinese and Mongolian meet: a resident who picks 中文 or Монгол must
get every prompt, button and answer in that language, as a Russian resident does. The locale
files are checked against Russian key by key (fields, emoji, the length of button labels);
handler code is checked for text written into it instead of a locale file; and a resident in
each new language walks the web chat with the shipped campaign and reads only their own words.
"""
from __future__ import annotations

import ast
import re
import string
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from bot.config import load_settings
from bot.core.i18n import Texts
from channels.vk.render import LABEL_LIMIT as VK_LABEL
from channels.whatsapp.render import MAX_BUTTON_TITLE, MAX_ROW_TITLE
from handlers import LOCALES
from tests.drivers import CAMPAIGN, ROOT, BotMessage, load_content_into
from tests.drivers.webchat import world as webchat_world
from tests.journey import JPEG, all_text
from tests.screen import Screen

TEXTS = Texts.load(LOCALES, "ru")
LOCALE_FILES = sorted(path.stem for path in Path(LOCALES).glob("*.yaml"))
OTHERS = [language for language in TEXTS.languages if language != "ru"]

# WhatsApp shows 20 characters of a reply button and 24 of a list row's title; VK cuts a label
# at 40. A label that fits one of them in Russian must fit it in every language.
LABEL_LIMITS = (MAX_BUTTON_TITLE, MAX_ROW_TITLE, VK_LABEL)


def template(language: str, key: str) -> str:
    return TEXTS.get(language, key)  # without fields: the text as the locale file has it


def fields(text: str) -> set[tuple[str, str]]:
    """The fields a text fills, each with its format (``{latitude:.5f}``)."""
    return {(name, spec or "") for _, name, spec, _ in string.Formatter().parse(text) if name}


def filled(text: str) -> str:
    """The text as a resident reads it, each field a four-digit value (as long as «П-17» or a short title)."""
    return text.format(**{name: 1234 for name, _ in fields(text)}) if fields(text) else text


def emoji(text: str) -> list[str]:
    """The pictographs of a text in order: symbols from the arrows block up, and anything drawn
    as an emoji (a character before U+FE0F, like ℹ️). №, quotes and dashes are punctuation,
    which each language writes its own way."""
    return [ch for i, ch in enumerate(text)
            if (unicodedata.category(ch) in ("So", "Sm") and ord(ch) >= 0x2190) or text[i + 1:i + 2] == "\ufe0f"]


# -- the locale files ------------------------------------------------------------------------

def test_the_bot_speaks_russian_english_chinese_and_mongolian():
    assert TEXTS.languages[0] == "ru"
    assert set(TEXTS.languages) == {"ru", "en", "zh", "mn"} == set(LOCALE_FILES)


@pytest.mark.parametrize("language", OTHERS)
def test_every_locale_has_exactly_the_keys_of_russian_and_fills_the_same_fields(language):
    assert sorted(TEXTS.keys(language) - TEXTS.keys("ru")) == [], "keys Russian does not have"
    assert sorted(TEXTS.keys("ru") - TEXTS.keys(language)) == [], "keys left untranslated"
    for key in TEXTS.keys("ru"):
        assert fields(template(language, key)) == fields(template("ru", key)), key
        assert template(language, key).strip(), key
        filled(template(language, key))  # a broken field ({latitude:.5f} mistyped) raises here


@pytest.mark.parametrize("language", OTHERS)
def test_every_locale_keeps_the_emoji_of_russian_in_their_places(language):
    for key in TEXTS.keys("ru"):
        ours, theirs = template("ru", key), template(language, key)
        assert emoji(theirs) == emoji(ours), key
        marks = emoji(ours)
        if marks and ours.startswith(marks[0]):  # a label that starts with its emoji: «💡 Предложить идею»
            assert theirs.startswith(marks[0]), key
        if marks and ours.rstrip().endswith(marks[-1]):  # «Дальше ➜»
            assert theirs.rstrip().endswith(marks[-1]), key


@pytest.mark.parametrize("language", OTHERS)
def test_the_legal_texts_name_the_same_laws_and_the_same_way_out(language):
    """The consent names the personal-data law (152-FZ) and /forget in every language, and the
    project's description says, in every language, that a proposal is no appeal under 59-FZ."""
    consent, about = template(language, "consent.text"), template(language, "about.text")
    assert re.search(r"152-(ФЗ|FZ)", consent) and "/forget" in consent
    assert re.search(r"59-(ФЗ|FZ)", about)
    for key in ("consent.text", "privacy.confirm_prompt", "privacy.forgotten", "privacy.forgotten_erased"):
        assert len(template(language, key).split("\n")) == len(template("ru", key).split("\n")), key


@pytest.mark.parametrize("language", [language for language in OTHERS if language != "en"])
def test_a_new_language_is_translated_not_copied(language):
    """Only names (of platforms, of laws) and what has no words may read as in Russian or English."""
    same = {key for key in TEXTS.keys("ru")
            if template(language, key) in (template("ru", key), template("en", key))
            and re.search(r"[^\W\d_]{4,}", filled(template("ru", key)))}
    assert same <= {"language.prompt", "phone_check.channel.telegram", "phone_check.channel.max",
                    "phone_check.channel.whatsapp", "privacy.channel.max", "privacy.channel.telegram",
                    "privacy.channel.whatsapp"}, sorted(same)


def _label_keys() -> set[str]:
    """Locale keys shown on buttons, read from the code that builds buttons: the ``label`` of a
    ``Button`` and the arguments of the helpers that pass theirs on as one (the menu's ``item``)."""
    keys = TEXTS.keys("ru")
    sources = [*Path(LOCALES).parent.glob("*.py"), *(ROOT / "bot" / "core").glob("*.py")]
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in sources]

    def named_in(node: ast.AST) -> set[str]:
        found = set()
        for part in ast.walk(node):
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                if part.value in keys:
                    found.add(part.value)
            elif isinstance(part, ast.JoinedStr) and part.values and isinstance(part.values[0], ast.Constant):
                prefix = part.values[0].value  # f"menu.{key}": every key of the section
                if isinstance(prefix, str) and prefix.endswith("."):
                    found |= {key for key in keys if key.startswith(prefix)}
        return found

    def is_button(call: ast.Call) -> bool:
        return isinstance(call.func, ast.Name) and call.func.id == "Button"

    builders = set()
    for tree in trees:
        for function in ast.walk(tree):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                parameters = {a.arg for a in function.args.args}
                for call in ast.walk(function):
                    if isinstance(call, ast.Call) and is_button(call):
                        label = next((k.value for k in call.keywords if k.arg == "label"), None)
                        if label is None:
                            continue
                        if parameters & {n.id for n in ast.walk(label) if isinstance(n, ast.Name)}:
                            builders.add(function.name)
    found = set()
    for tree in trees:
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            if is_button(call):
                found |= {key for k in call.keywords if k.arg == "label" for key in named_in(k.value)}
            name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
            if name in builders or name == "PageLabels":  # the «Ещё…» and «◂ Предыдущие» of a paged keyboard
                found |= {key for part in [*call.args, *(k.value for k in call.keywords)] for key in named_in(part)}
            if name == "TextStep":  # its second argument is the label of the button that gives a text to the step
                found |= named_in(call.args[1]) if len(call.args) > 1 else set()
    return found


LABEL_KEYS = _label_keys()


def test_the_labels_are_found_in_the_code_that_builds_buttons():
    expected = {"menu.propose", "participation.polls", "episodes.menu", "nav.cancel", "proposal.add_place",
                "consent.accept", "language_name", "keyboard.more", "moderation.which_proposal",
                "moderation.which_correction", "phone_check.resend", "contests.vote_for", "privacy.confirm"}
    assert expected <= LABEL_KEYS, sorted(expected - LABEL_KEYS)
    assert "proposal.accepted" not in LABEL_KEYS and "menu.prompt" in LABEL_KEYS  # a prompt fits no limit anyway


@pytest.mark.parametrize("language", OTHERS)
def test_a_label_that_fits_a_platform_in_russian_fits_it_in_every_language(language):
    too_long = []
    for key in sorted(LABEL_KEYS):
        ours, theirs = filled(template("ru", key)), filled(template(language, key))
        too_long += [f"{key}: «{theirs}» is {len(theirs)} > {limit}" for limit in LABEL_LIMITS
                     if len(ours) <= limit < len(theirs)]
    assert too_long == []


def _titles(tree, where: str = ""):
    """Every ``title: {ru: …, en: …}`` of a configuration or content file, with where it is."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            if key in ("title", "name") and isinstance(value, dict) and "ru" in value:
                yield f"{where}.{key}", value
            else:
                yield from _titles(value, f"{where}.{key}")
    elif isinstance(tree, list):
        for number, item in enumerate(tree):
            yield from _titles(item, f"{where}[{number}]")


@pytest.mark.parametrize("path", [ROOT / "config.yaml", CAMPAIGN], ids=["config", "campaign"])
def test_the_shipped_configuration_and_campaign_have_titles_in_every_language(path):
    """The names a resident presses (categories, topics, polls and their options, contests) are
    there in their language, and a name that fits VK's label in Russian fits it in each."""
    titles = list(_titles(yaml.safe_load(path.read_text(encoding="utf-8"))))
    assert len(titles) > 3
    for where, title in titles:
        assert set(title) == set(TEXTS.languages), where
        for language in OTHERS:
            assert not (len(title["ru"]) <= VK_LABEL < len(title[language])), f"{where}.{language}: {title[language]}"


def test_the_defaults_in_the_code_are_the_shipped_configuration():
    """bot/config.py's defaults (a town without a config.yaml section) say what config.yaml says."""
    from bot.config import DEFAULT_CATEGORIES, DEFAULT_TOPICS, ProjectSettings

    shipped = load_settings(ROOT / "config.yaml", {})
    assert shipped.proposals.categories == DEFAULT_CATEGORIES
    assert shipped.subscriptions.topics == DEFAULT_TOPICS
    assert shipped.project.name == ProjectSettings().name


# -- no resident-facing text in handler code ----------------------------------------------------

# Keys (and their parts), states, payload names, fields.
MACHINE_WORD = re.compile(r"[.:]?[a-z0-9_]+(?:[.:][a-z0-9_]*)*")
# Calls whose string arguments are not read by residents.
NOT_FOR_RESIDENTS = {
    "compile", "match", "fullmatch", "search", "sub", "split",    # regular expressions
    "debug", "info", "warning", "error", "exception",            # the log, read by staff (in Russian)
    "TypeVar", "Router",                                         # a type's name; a router's name, for the log
    "Feature", "Job", "Command",                                 # a feature's registration names, for the log
}
# Literals with letters that are no text, each with its reason.
ALLOWED = {
    "poll-": "the prefix of a poster's deep link to a poll (handlers/deeplinks.py), not a word",
    "T": "the separator of an ISO 8601 moment, replaced by a space",
}


def _written_in_code(path: Path) -> list[str]:
    """String literals with letters that a resident could read, as ``file:line: text``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skipped.add(id(first.value))  # a docstring
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            skipped |= {id(part) for part in ast.walk(node.format_spec)}  # f"{average:.1f}": a number's format
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name in NOT_FOR_RESIDENTS:
                skipped |= {id(part) for argument in [*node.args, *(k.value for k in node.keywords)]
                            for part in ast.walk(argument)}
    shown = {id(node) for sink in _what_residents_read(tree) for node in _outside_calls(sink)}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or id(node) in skipped:
            continue
        text = node.value
        if not re.search(r"[^\W\d_]", text):
            continue  # punctuation, emoji, line breaks around texts from the locales
        if id(node) not in shown and (MACHINE_WORD.fullmatch(text) or text in ALLOWED
                                      or text.startswith("https://")):  # a platform's link template
            continue
        found.append(f"{path.name}:{node.lineno}: {text!r}")
    return found


def _what_residents_read(tree: ast.AST):
    """The expressions that become a message's text or a button's label."""
    for call in ast.walk(tree):
        if isinstance(call, ast.Call):
            name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
            if name == "say" and call.args:
                yield call.args[0]
            yield from (k.value for k in call.keywords
                        if (name, k.arg) in (("Button", "label"), ("Reply", "text"), ("say", "text")))


def _outside_calls(expression: ast.AST):
    """The parts of an expression that are not inside a call: a key passed to ``ctx.t`` is
    fine, a word added to its result (``ctx.t(…) + " ok"``) is not."""
    yield expression
    if not isinstance(expression, ast.Call):
        for child in ast.iter_child_nodes(expression):
            yield from _outside_calls(child)


def test_no_resident_facing_text_is_written_in_handler_code():
    """Text in handlers/ is a locale key, a state or payload name, or punctuation and emoji
    around texts from the locales; a sentence, a word or a date format written into the code
    would reach every resident in one language."""
    # A feature's content models (``*_content.py``) speak to the staff who write the content
    # file, in Russian (tests/test_staff_language.py), never to a resident.
    found = [line for path in sorted(Path(LOCALES).parent.glob("*.py")) if not path.stem.endswith("_content")
             for line in _written_in_code(path)]
    assert found == []


def test_the_scan_finds_text_written_into_code(tmp_path):
    """The scan above does see text in code: a message, a label, a date format."""
    sample = tmp_path / "sample.py"
    sample.write_text('"""Docstring."""\nimport logging\nlog = logging.getLogger(__name__)\n\n'
                      'async def handler(ctx):\n'
                      '    """Doc."""\n'
                      '    log.warning("сбой: %s", ctx.state)\n'
                      '    ctx.say("Спасибо!", [[Button(label="Next", payload=encode("prop", "next"))]])\n'
                      '    ctx.say(ctx.t("polls.not_yet", date=moment.strftime("%d.%m.%Y")))\n'
                      '    ctx.say(f"{ctx.t(\'polls.done\')}: ok")\n'
                      '    ctx.say(ctx.t("polls.done"), [[Button(label="✅ " + "done", payload="x")]])\n',
                      encoding="utf-8")
    assert sorted(line.split(": ", 1)[1] for line in _written_in_code(sample)) == sorted([
        "'Спасибо!'", "'Next'", "'%d.%m.%Y'", "': ok'", "'done'"])


# -- a resident in each language on the web chat -------------------------------------------------

@dataclass
class ReadingScreen(Screen):
    """A screen that remembers everything the resident was shown."""

    seen: list[BotMessage] = field(default_factory=list)

    def _answered(self, messages: list[BotMessage]) -> list[BotMessage]:
        self.seen += messages
        return super()._answered(messages)

    def read(self) -> str:
        """Texts and button labels, as the resident read them."""
        return "\n".join([message.text for message in self.seen]
                         + [button.get("label", "") for message in self.seen for row in message.buttons
                            for button in row])


@dataclass(frozen=True)
class Reader:
    language: str
    idea: str
    # What a resident of this language must read on the way (characteristic, written out here
    # rather than taken from the locale file, so that a text left in Russian there is caught).
    expected: tuple[str, ...]


READERS = [
    Reader("zh", "在池塘边放几张长椅，再装一盏路灯",
           ("语言：中文。", "💡 提出想法", "您的建议：", "给公园的想法", "照片已添加（1 / 5）。",
            "谢谢！您的建议已收到。", "已收到", "渠道：网页聊天", "订阅：项目新闻", "正在进行的投票",
            "首先应该改造哪个区域？",
            "作品征集截止到 2030年04月01日 09:00。")),
    Reader("mn", "Цөөрмийн дэргэд вандан сандал, гэрэл тавих",
           ("Хэл: монгол.", "💡 Санаа илгээх", "Таны санал:", "Цэцэрлэгт хүрээлэнгийн санаа",
            "Зураг нэмэгдлээ (1 / 5).", "Баярлалаа! Таны саналыг хүлээн авлаа.", "хүлээн авсан", "Суваг: Вэб чат",
            "Захиалга: Төслийн мэдээ",
            "Санал хураалт явагдаж байна", "Аль газрыг нэн түрүүнд тохижуулах вэ?",
            "Бүтээл хүлээн авах хугацаа: 2030.04.01 09:00 хүртэл.")),
]


def own_words(language: str, settings, idea: str) -> str:
    """Everything a resident of ``language`` may read: their locale, the titles in their language
    of the configuration and the campaign, what they typed, and every language's own name (the
    language menu lists them all)."""
    content = yaml.safe_load(CAMPAIGN.read_text(encoding="utf-8"))
    configured = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    parts = [template(language, key) for key in TEXTS.keys(language)]
    parts += [title[language] for _, title in [*_titles(content), *_titles(configured)]]
    parts += [TEXTS.get(other, "language_name") for other in TEXTS.languages]
    parts += [idea, settings.privacy.operator, settings.proposals.receipt_prefix]
    return "\n".join(parts)


@pytest.mark.parametrize("reader", READERS, ids=[r.language for r in READERS])
async def test_a_resident_who_reads_chinese_or_mongolian_proposes_and_reads_only_their_language(tmp_path, reader):
    async with webchat_world(tmp_path) as world:
        await load_content_into(world.app, CAMPAIGN)
        screen = ReadingScreen(world, world.resident())
        await screen.say("/start")
        await screen.tap("consent:yes")
        offered = [b for m in screen.shown for row in m.buttons for b in row
                   if b.get("payload", "").startswith("lang:")]
        assert [b["payload"] for b in offered] == [f"lang:{language}" for language in TEXTS.languages]
        assert [b["label"] for b in offered] == ["Русский", "English", "Монгол", "中文"]
        screen.seen.clear()  # from here on, the resident's own language

        await screen.tap(f"lang:{reader.language}")
        await screen.tap("menu:propose")
        await screen.say(reader.idea)
        await screen.send_photo(JPEG)
        await screen.send_location(50.0958, 118.0317)
        done = await screen.tap("prop:confirm")
        receipt = re.search(r"П-\d+", all_text(done))
        assert receipt, all_text(done)
        assert receipt[0] in all_text(await screen.tap("menu:mine"))
        await screen.tap("menu:subscriptions")
        await screen.tap("sub:news")
        await screen.tap("nav:menu")
        await screen.tap("menu:privacy")
        await screen.tap("nav:menu")
        await screen.tap("menu:polls")
        await screen.tap("nav:menu")
        await screen.tap("menu:contests")
        await screen.tap("contest:drawings")

        read = screen.read()
        for text in reader.expected:
            assert text in read, f"«{text}» not shown:\n{read}"
        allowed = own_words(reader.language, world.app.settings, reader.idea)
        strange = sorted({word for word in re.findall(r"[^\W\d_]+", read) if word not in allowed})
        assert strange == [], f"words from outside the {reader.language} texts:\n{read}"
        stored = await screen.stored()
        assert stored.language == reader.language
