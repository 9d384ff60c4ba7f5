"""Surveys as staff define them in the content file (``surveys:``): questions, their types and
skip logic, the waves a repeated survey runs in (``handlers/survey_waves_content.py``); and how one is
stored. Registered with the surveys feature (``handlers/surveys.py``).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from bot.core.content import Key, Model, Option, Scheduled, unique_keys, utc
from bot.core.plugins import ContentSection
from handlers.survey_waves_content import Wave, WaveSchedule
from storage.ports.content import ContentKind, StoredItem
from storage.statuses import QuestionType

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
            unique_keys(self.options, "option")
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
    # A survey repeated on a schedule; without one it is a single wave, from opens to closes.
    waves: WaveSchedule | None = None
    topic: str = Field("surveys", pattern=r"^[a-z0-9_]{1,24}$")  # its subscribers are reminded of each wave

    @field_validator("topic")
    @classmethod
    def _a_configured_topic(cls, value: str, info: ValidationInfo) -> str:
        topics = (info.context or {}).get("topics")
        if info.data.get("waves") is not None and topics is not None and value not in topics:
            raise ValueError(f"{value!r} — не тема подписки из настроек "
                             f"(subscriptions.topics: {', '.join(sorted(topics)) or 'нет'}), "
                             f"о волнах опроса никто не узнает")
        return value

    @model_validator(mode="after")
    def _waves_inside(self) -> "Survey":
        if self.waves is not None:
            self.waves.check_inside(self.opens, self.closes)
        return self

    def all_waves(self) -> tuple[Wave, ...]:
        """Every wave, numbered from 1; a survey without a schedule is one wave, opens to closes."""
        if self.waves is None:
            return (Wave(1, self.opens, self.closes),)
        return self.waves.dates_within(self.closes)

    def wave_at(self, now: datetime) -> Wave | None:
        """The wave open at ``now``, or None between waves (and before and after them)."""
        return next((w for w in self.all_waves() if w.is_open(now)), None)

    def next_wave(self, now: datetime) -> Wave | None:
        return next((w for w in self.all_waves() if w.opens > now), None)

    def wave(self, number: int) -> Wave | None:
        waves = self.all_waves()
        return waves[number - 1] if 1 <= number <= len(waves) else None

    @model_validator(mode="after")
    def _skips_go_forward(self) -> "Survey":
        unique_keys(self.questions, "question")
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


def stored(survey: Survey) -> StoredItem:
    return StoredItem(ContentKind.SURVEYS, survey.key, survey.model_dump_json(),
                      {"opens_at": utc(survey.opens), "closes_at": utc(survey.closes)})


CONTENT = ContentSection("surveys", Survey, what="survey", words=("опрос", "опроса", "опросов"), item=stored)
