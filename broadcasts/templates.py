"""Broadcast texts: jinja2 templates written by staff, rendered per resident in a sandbox.

The environment is jinja2's ``SandboxedEnvironment``: a template cannot reach Python internals
(``{{ ''.__class__.__mro__ }}`` and the like are refused). Templates are checked when a broadcast
is made (``validate``), statically and by a trial rendering, so a problem is named to staff
before anything is stored, never discovered recipient by recipient. Plain text, so no HTML
escaping; an unknown variable is an error, not an empty string (``StrictUndefined``).

Variables: ``name`` (the resident's display name, or a neutral word where there is none) and
``language``.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable, Mapping

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from bot.core.channel import Capabilities
from bot.core.rendering import fit
from bot.core.replies import Button, Media, Reply

VARIABLES = ("name", "language")
# When a resident has no display name: a neutral form of address.
NEUTRAL_NAME = {"ru": "житель", "en": "resident"}
DEFAULT_LANGUAGE = "ru"

_environment = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False)


class TemplateProblem(ValueError):
    """A template cannot be used; the message says which language's and why, for staff."""


def neutral_name(language: str) -> str:
    return NEUTRAL_NAME.get(language) or NEUTRAL_NAME[DEFAULT_LANGUAGE]


@lru_cache(maxsize=256)
def _compile(source: str):
    return _environment.from_string(source)


def _forbidden(tree: nodes.Template) -> str | None:
    """A reach for something private (``x.__class__``, ``x['_y']``) or for another template."""
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Include, nodes.Import,
                               nodes.FromImport, nodes.Extends)):
        if isinstance(node, (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
            return "подключать другие шаблоны (include, import, extends) нельзя"
        if isinstance(node, nodes.Getattr) and node.attr.startswith("_"):
            return f"атрибут {node.attr!r} нельзя: имена с _ в начале — внутренности Python"
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) \
                and isinstance(node.arg.value, str) and node.arg.value.startswith("_"):
            return f"ключ {node.arg.value!r} нельзя: имена с _ в начале — внутренности Python"
    return None


def validate(texts: Mapping[str, str]) -> None:
    """Raise ``TemplateProblem`` naming the language and the problem; return when all are usable."""
    if not texts or not any(source.strip() for source in texts.values()):
        raise TemplateProblem("у рассылки нет текста")
    for language, source in texts.items():
        where = f"текст на языке {language}"
        try:
            tree = _environment.parse(source)
        except TemplateSyntaxError as error:
            raise TemplateProblem(f"{where}, строка {error.lineno}: {error.message}") from error
        problem = _forbidden(tree)
        if problem:
            raise TemplateProblem(f"{where}: {problem}")
        unknown = meta.find_undeclared_variables(tree) - set(VARIABLES)
        if unknown:
            raise TemplateProblem(f"{where}: неизвестная переменная {', '.join(sorted(unknown))};"
                                  f" в шаблоне можно: {', '.join(VARIABLES)}")
        try:
            rendered = _compile(source).render(name=neutral_name(language), language=language)
        except SecurityError as error:
            raise TemplateProblem(f"{where}: нельзя: {error}") from error
        except (UndefinedError, TemplateError, ArithmeticError, TypeError, ValueError) as error:
            raise TemplateProblem(f"{where}: {type(error).__name__}: {error}") from error
        if not rendered.strip():
            raise TemplateProblem(f"{where}: после подстановки ничего не остаётся")


def uses_name(texts: Mapping[str, str]) -> bool:
    """Whether any text depends on the resident's name (else one rendering serves a language)."""
    return any("name" in meta.find_undeclared_variables(_environment.parse(s)) for s in texts.values())


def pick(texts: Mapping[str, str], language: str, default: str = DEFAULT_LANGUAGE) -> tuple[str, str]:
    """The (language, template) a resident gets: theirs, else the default language's, else any."""
    for candidate in (language, default):
        if texts.get(candidate):
            return candidate, texts[candidate]
    first = next(iter(texts))
    return first, texts[first]


def render(texts: Mapping[str, str], language: str, name: str, default: str = DEFAULT_LANGUAGE) -> str:
    """The text for one resident. Raises ``TemplateProblem`` (never a jinja2 error)."""
    chosen, source = pick(texts, language, default)
    try:
        return _compile(source).render(name=name or neutral_name(chosen), language=chosen).strip()
    except SecurityError as error:
        raise TemplateProblem(f"текст на языке {chosen}: нельзя: {error}") from error
    except (TemplateError, ArithmeticError, TypeError, ValueError) as error:
        raise TemplateProblem(f"текст на языке {chosen}: {type(error).__name__}: {error}") from error


def build_reply(text: str, buttons: Iterable[Iterable[Mapping]] = (), media: Iterable[Mapping] = ()) -> Reply:
    """The neutral reply of a broadcast: its rendered text, its buttons and its media."""
    return Reply(text=text, buttons=tuple(tuple(Button(**b) for b in row) for row in buttons),
                 media=tuple(Media(**m) for m in media))


def preview(texts: Mapping[str, str], capabilities: Mapping[str, Capabilities], *, buttons=(), media=(),
            language: str = DEFAULT_LANGUAGE, name: str = "", default: str = DEFAULT_LANGUAGE,
            ) -> dict[str, list[Reply]]:
    """Per channel, the messages a resident of ``language`` would see (after ``fit``)."""
    reply = build_reply(render(texts, language, name, default), buttons, media)
    return {channel: fit(reply, caps) for channel, caps in capabilities.items()}
