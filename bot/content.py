"""Polls, quizzes, surveys, contests and episode series as staff define them in a content file (YAML).

The file is validated as a whole before anything is stored, and an error names the file, the
line and the field (``content.yaml:14: polls[0].options: at least 2 options``), because the
people who write it are municipal staff, not programmers. The same models read the definitions
back from SQLite, where the staff panel can edit them.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import (BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator,
                      model_validator)

from bot.validation_ru import russian
from storage.ports.content import ContentKind, StoredItem
from storage.episodes import StoredEpisode, StoredSeries
from storage.statuses import PollKind, QuestionType

# pydantic-core matches patterns with Rust's regex, where "$" is the very end of the text (a
# trailing newline is refused; tests/test_input_patterns.py) and "\Z" does not exist.
Key = Field(pattern=r"^[a-z0-9_]{1,24}$")


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def text_in(texts: dict[str, str], language: str) -> str:
    return texts.get(language) or texts.get("ru") or next(iter(texts.values()), "")


def _aware(value: datetime, info: ValidationInfo) -> datetime:
    """A time without an offset is the town's wall time (``time_zone`` in the validation
    context, the project's): staff write «2026-06-25T08:00» as they read it on the town's clocks."""
    if value.tzinfo is not None:
        return value
    zone = (info.context or {}).get("time_zone")
    if not zone:
        raise ValueError("укажите часовой пояс, например 2026-06-25T08:00:00+09:00")
    return value.replace(tzinfo=ZoneInfo(zone))


class Option(Model):
    key: str = Key
    title: dict[str, str] = Field(min_length=1)


def _unique_keys(items: list[Any], what: str) -> None:
    keys = [item.key for item in items]
    duplicated = sorted({k for k in keys if keys.count(k) > 1})
    if duplicated:
        raise ValueError(f"ключи ({what}) должны быть разными; повторяются: {', '.join(duplicated)}")


class Scheduled(Model):
    opens: datetime
    closes: datetime

    @field_validator("opens", "closes")
    @classmethod
    def _with_zone(cls, value: datetime, info: ValidationInfo) -> datetime:
        return _aware(value, info)

    @model_validator(mode="after")
    def _in_order(self) -> "Scheduled":
        if self.closes <= self.opens:
            raise ValueError("closes должно быть позже opens")
        return self

    def is_open(self, now: datetime) -> bool:
        return self.opens <= now < self.closes


class Poll(Scheduled):
    key: str = Key
    title: dict[str, str] = Field(min_length=1)
    description: dict[str, str] = {}
    kind: PollKind = PollKind.SINGLE
    options: list[Option] = Field(min_length=2, max_length=30)
    max_choices: int = Field(1, ge=1)
    allow_change: bool = False
    require_phone: bool = False
    results: Literal["live", "after_close"] = "after_close"

    @model_validator(mode="after")
    def _consistent(self) -> "Poll":
        _unique_keys(self.options, "option")
        if self.kind == PollKind.MULTIPLE and not 2 <= self.max_choices <= len(self.options):
            raise ValueError("голосованию с несколькими ответами нужно max_choices от 2 до числа вариантов")
        if self.kind == PollKind.TOP3 and len(self.options) < 3:
            raise ValueError("голосованию «тройка лучших» нужно хотя бы 3 варианта")
        return self

    def option(self, key: str) -> Option | None:
        return next((o for o in self.options if o.key == key), None)


class QuizQuestion(Model):
    text: dict[str, str] = Field(min_length=1)
    options: list[Option] = Field(min_length=2, max_length=10)
    answer: str
    explanation: dict[str, str] = {}

    @model_validator(mode="after")
    def _answer_is_an_option(self) -> "QuizQuestion":
        _unique_keys(self.options, "option")
        if self.answer not in {o.key for o in self.options}:
            raise ValueError(f"ответа {self.answer!r} нет среди вариантов")
        return self


class Quiz(Scheduled):
    key: str = Key
    title: dict[str, str] = Field(min_length=1)
    leaderboard: bool = True
    questions: list[QuizQuestion] = Field(min_length=1, max_length=50)


END = "end"


class SurveyQuestion(Model):
    key: str = Key
    type: QuestionType
    text: dict[str, str] = Field(min_length=1)
    required: bool = True
    options: list[Option] = []
    min: float | None = None
    max: float | None = None
    max_length: int = Field(1000, ge=1, le=4000)
    # Skip logic: for a single-choice question, the question an answer leads to (or "end");
    # `then` is where every other answer (or a skip) leads. Unset: the next question in order.
    next: dict[str, str] = {}
    then: str | None = None

    @model_validator(mode="after")
    def _fits_type(self) -> "SurveyQuestion":
        if self.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
            if len(self.options) < 2:
                raise ValueError(f"вопросу типа {self.type} нужно хотя бы 2 варианта")
            _unique_keys(self.options, "option")
        elif self.options:
            raise ValueError(f"у вопроса типа {self.type} вариантов не бывает")
        if self.next and self.type != QuestionType.SINGLE:
            raise ValueError("переходы к другим вопросам бывают только у вопросов с одним ответом")
        unknown = set(self.next) - {o.key for o in self.options}
        if unknown:
            raise ValueError(f"в next есть ответы, которых нет среди вариантов: {', '.join(sorted(unknown))}")
        if self.type == QuestionType.SCALE:
            low, high = self.min if self.min is not None else 1, self.max if self.max is not None else 5
            if not (int(low) == low and int(high) == high and 0 <= low < high <= 10):
                raise ValueError("шкала — целые числа от 0 до 10, min меньше max")
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError("min должно быть меньше max")
        return self

    @property
    def scale(self) -> range:
        return range(int(self.min if self.min is not None else 1), int(self.max if self.max is not None else 5) + 1)


class Survey(Scheduled):
    key: str = Key
    title: dict[str, str] = Field(min_length=1)
    intro: dict[str, str] = {}
    questions: list[SurveyQuestion] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _skips_go_forward(self) -> "Survey":
        _unique_keys(self.questions, "question")
        position = {q.key: i for i, q in enumerate(self.questions)}
        for index, question in enumerate(self.questions):
            for target in [*question.next.values(), *([question.then] if question.then else [])]:
                if target != END and target not in position:
                    raise ValueError(f"вопрос {question.key} ведёт к {target!r}, а такого вопроса нет")
                if target != END and position[target] <= index:
                    raise ValueError(f"вопрос {question.key} ведёт назад, к {target}: переходы только вперёд")
        return self

    def question(self, key: str) -> SurveyQuestion | None:
        return next((q for q in self.questions if q.key == key), None)

    def after(self, question: SurveyQuestion, answer: Any) -> str:
        """The key of the question that follows this answer, or END."""
        if isinstance(answer, str) and answer in question.next:
            return question.next[answer]
        if question.then:
            return question.then
        index = self.questions.index(question)
        return self.questions[index + 1].key if index + 1 < len(self.questions) else END


class Contest(Scheduled):
    key: str = Key
    title: dict[str, str] = Field(min_length=1)
    description: dict[str, str] = {}
    categories: list[Option] = Field(min_length=1, max_length=10)
    age_groups: list[Option] = Field(min_length=1, max_length=10)
    voting_opens: datetime
    voting_closes: datetime
    max_text_length: int = Field(3000, ge=10)

    @field_validator("voting_opens", "voting_closes")
    @classmethod
    def _voting_with_zone(cls, value: datetime, info: ValidationInfo) -> datetime:
        return _aware(value, info)

    @model_validator(mode="after")
    def _voting_after_entries(self) -> "Contest":
        _unique_keys(self.categories, "category")
        _unique_keys(self.age_groups, "age group")
        if self.voting_closes <= self.voting_opens:
            raise ValueError("voting_closes должно быть позже voting_opens")
        if self.voting_opens < self.opens:
            raise ValueError("голосование не может начаться раньше приёма работ")
        return self

    def accepting_entries(self, now: datetime) -> bool:
        return self.is_open(now)

    def voting(self, now: datetime) -> bool:
        return self.voting_opens <= now < self.voting_closes


class Episode(Model):
    """One episode of a series: announced once, at ``air_at``, to the series' subscribers."""

    number: int = Field(ge=1, le=10000)
    title: dict[str, str] = Field(min_length=1)
    description: dict[str, str] = {}
    video_url: str = ""  # a link to the video (https://…)
    file_key: str = ""   # or a video file, as a path inside storage.attachments_dir
    air_at: datetime

    @field_validator("air_at")
    @classmethod
    def _with_zone(cls, value: datetime, info: ValidationInfo) -> datetime:
        return _aware(value, info)

    @field_validator("video_url")
    @classmethod
    def _a_web_link(cls, value: str) -> str:
        if value and not re.fullmatch(r"https?://[^\s/]+\S*", value):
            raise ValueError("нужна ссылка, начинающаяся с https:// (или http://), без пробелов")
        return value

    @field_validator("file_key")
    @classmethod
    def _inside_the_attachments(cls, value: str) -> str:
        if value and not re.fullmatch(r"(?:[\w\-]+/)*[\w\-]+\.[A-Za-z0-9]+", value):
            raise ValueError("нужно имя файла в папке вложений, например episodes/01.mp4 (без .. и /)")
        return value

    @model_validator(mode="after")
    def _watchable(self) -> "Episode":
        if not self.video_url and not self.file_key:
            raise ValueError("эпизоду нужен video_url (https://…) или file_key (файл во вложениях)")
        return self


class Series(Model):
    key: str = Key
    title: dict[str, str] = Field(min_length=1)
    topic: str = Field("episodes", pattern=r"^[a-z0-9_]{1,24}$")  # subscribers of this topic get each episode
    episodes: list[Episode] = Field(min_length=1, max_length=500)

    @field_validator("topic")
    @classmethod
    def _a_configured_topic(cls, value: str, info: ValidationInfo) -> str:
        topics = (info.context or {}).get("topics")
        if topics is not None and value not in topics:
            raise ValueError(f"{value!r} — не тема подписки из настроек "
                             f"(subscriptions.topics: {', '.join(sorted(topics)) or 'нет'}), её никто не получит")
        return value

    @model_validator(mode="after")
    def _numbered_once(self) -> "Series":
        numbers = [e.number for e in self.episodes]
        repeated = sorted({n for n in numbers if numbers.count(n) > 1})
        if repeated:
            raise ValueError(f"номера эпизодов должны быть разными; повторяются: {', '.join(map(str, repeated))}")
        return self

    def episode(self, number: int) -> Episode | None:
        return next((e for e in self.episodes if e.number == number), None)


class ContentFile(Model):
    polls: list[Poll] = []
    quizzes: list[Quiz] = []
    surveys: list[Survey] = []
    contests: list[Contest] = []
    series: list[Series] = []

    @model_validator(mode="after")
    def _unique(self) -> "ContentFile":
        for name in ("polls", "quizzes", "surveys", "contests"):
            _unique_keys(getattr(self, name), name[:-1] if name != "quizzes" else "quiz")
        _unique_keys(self.series, "series")
        return self


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


def load_content(path: Path | str, topics: set[str] | None = None, time_zone: str | None = None) -> ContentFile:
    """The checked file; with ``topics`` (the configured subscription topics), a series must
    name one of them; with ``time_zone`` (the project's), a time without an offset is the
    town's wall time, else it is refused."""
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
        raise ContentError(f"{path}:1: на верхнем уровне должны быть polls:, quizzes:, surveys:, contests: и series:")
    try:
        return ContentFile.model_validate(data, context={"topics": topics, "time_zone": time_zone})
    except ValidationError as error:
        problems = []
        for problem in error.errors():
            location = problem["loc"]
            line = _line_of(tree, location)
            field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in location).lstrip(".")
            problems.append(f"{path}:{line}: {field or 'файл'}: {russian(problem)}")
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


def utc(moment: datetime) -> str:
    """Times are stored in UTC so that comparing the text compares the moments."""
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def storable(content: ContentFile) -> list[StoredItem]:
    items = [StoredItem(ContentKind.POLLS, p.key, p.model_dump_json(),
                        {"opens_at": utc(p.opens), "closes_at": utc(p.closes)}, {"poll_kind": p.kind})
             for p in content.polls]
    for kind, found in ((ContentKind.QUIZZES, content.quizzes), (ContentKind.SURVEYS, content.surveys)):
        items += [StoredItem(kind, i.key, i.model_dump_json(), {"opens_at": utc(i.opens), "closes_at": utc(i.closes)})
                  for i in found]
    items += [StoredItem(ContentKind.CONTESTS, c.key, c.model_dump_json(),
                         {"opens_at": utc(c.opens), "closes_at": utc(c.closes),
                          "voting_opens_at": utc(c.voting_opens), "voting_closes_at": utc(c.voting_closes)})
              for c in content.contests]
    return items


def storable_series(content: ContentFile) -> list[StoredSeries]:
    """The series and their episodes as ``storage.episodes`` keeps them (``tx.episodes.store``)."""
    return [StoredSeries(s.key, s.topic, s.model_dump_json(include={"key", "title", "topic"}),
                         tuple(StoredEpisode(e.number, e.model_dump_json(exclude={"number", "air_at"}), utc(e.air_at))
                               for e in s.episodes))
            for s in content.series]
