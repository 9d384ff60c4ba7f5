"""The content file staff write (YAML): polls, quizzes, surveys, contests, series — whatever the
features register — read, checked as a whole, and turned into what storage keeps.

The file is validated as a whole before anything is stored, and an error names the file, the
line and the field (``content.yaml:14: polls[0].options: at least 2 options``), because the
people who write it are municipal staff, not programmers. Each top-level key and its model
belong to a feature (``handlers/<feature>_content.py``, registered in the feature's
``FEATURE``); ``ContentFile`` is assembled here from the registered ones, so a key exists in
the file because its feature registered it.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar, Sequence

import yaml
from pydantic import ValidationError, create_model, model_validator

from bot.core.content import Model, unique_keys
from bot.core.plugins import ContentSection
from bot.validation_ru import russian


def registered_sections() -> tuple[ContentSection, ...]:
    """The content sections the features register, in the features' order."""
    from handlers import features

    return tuple(section for feature in features() for section in feature.content)


class ContentFileBase(Model):
    """A content file: one list per registered section, keys unique within each."""

    sections: ClassVar[tuple[ContentSection, ...]] = ()

    @model_validator(mode="after")
    def _unique(self) -> "ContentFileBase":
        for section in self.sections:
            unique_keys(getattr(self, section.key), section.what)
        return self


def content_model(sections: Sequence[ContentSection]) -> type[ContentFileBase]:
    """The content file's model with a list of each section's items (none by default)."""
    keys = [section.key for section in sections]
    if clash := sorted({key for key in keys if keys.count(key) > 1}):
        raise ValueError(f"two content sections named {', '.join(clash)}")
    lists: dict[str, Any] = {section.key: (list[section.model], []) for section in sections}  # type: ignore[name-defined]
    model = create_model("ContentFile", __base__=ContentFileBase, __module__=__name__, **lists)
    model.sections = tuple(sections)
    return model


ContentFile = content_model(registered_sections())


class _Yaml12Loader(yaml.SafeLoader):
    """YAML as staff expect it: "yes", "no", "on" and "off" stay words (a poll's options are
    often exactly that); only true and false are booleans, as in YAML 1.2."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # PyYAML's own constructors raise plain errors for some scalars (2026-13-45: ValueError,
        # "!!int x", "!!timestamp x"); as a YAMLError they name the line like any other mistake.
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, AttributeError, OverflowError) as error:
            raise yaml.constructor.ConstructorError(None, None, f"{node.value!r} cannot be read: {error}",
                                                    node.start_mark) from None


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"\A(?:true|True|TRUE|false|False|FALSE)\Z"), list("tTfF"))


class ContentError(Exception):
    """What is wrong with a content file, one problem a line, each with its file and line."""


def load_content(path: Path | str, topics: set[str] | None = None, time_zone: str | None = None,
                 model: type[ContentFileBase] | None = None) -> Any:
    """The checked file, as ``model`` (by default ``ContentFile``: the registered sections); with
    ``topics`` (the configured subscription topics), a series must name one of them; with
    ``time_zone`` (the project's), a time without an offset is the town's wall time, else it is
    refused."""
    model = ContentFile if model is None else model
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ContentError(f"{path}: не читается: {error.strerror}") from None
    try:
        data = yaml.load(text, Loader=_Yaml12Loader) or {}
        tree = yaml.compose(text, Loader=_Yaml12Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise ContentError(f"{path}{line}: это не YAML: {getattr(error, 'problem', error)}") from None
    except RecursionError:  # PyYAML reads nested brackets recursively
        raise ContentError(f"{path}: это не YAML: слишком глубокая вложенность") from None
    if not isinstance(data, dict):
        keys = [f"{section.key}:" for section in model.sections]
        raise ContentError(f"{path}:1: на верхнем уровне должны быть {', '.join(keys[:-1])} и {keys[-1]}"
                           if len(keys) > 1 else f"{path}:1: на верхнем уровне должен быть {''.join(keys)}")
    try:
        return model.model_validate(data, context={"topics": topics, "time_zone": time_zone,
                                                   "folder": path.parent})  # files the content names
    except ValidationError as error:
        problems = []
        for problem in error.errors():
            location = problem["loc"]
            at = _line_of(tree, location)
            field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in location).lstrip(".")
            problems.append(f"{path}:{at}: {field or 'файл'}: {russian(problem)}")
        raise ContentError("\n".join(problems)) from None


def _line_of(node: yaml.Node | None, location: tuple[Any, ...]) -> int:
    """The line of the deepest YAML node on the error's path (1-based)."""
    line = (node.start_mark.line + 1) if node is not None else 1
    for part in location:
        if isinstance(node, yaml.MappingNode):
            node = next((value for key, value in node.value if key.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def storable(content: ContentFileBase) -> list[Any]:
    """The items of ``content_items`` (``tx.content.store``), section by section."""
    return [section.item(item) for section in content.sections if section.item is not None
            for item in getattr(content, section.key)]


def storable_series(content: ContentFileBase) -> list[Any]:
    """The series and their episodes as ``storage.episodes`` keeps them (``tx.episodes.store``)."""
    return [section.series(item) for section in content.sections if section.series is not None
            for item in getattr(content, section.key)]


def counts(content: ContentFileBase) -> list[tuple[int, tuple[str, str, str]]]:
    """How many items of each section, with the words to count them in."""
    return [(len(getattr(content, section.key)), section.words) for section in content.sections]
