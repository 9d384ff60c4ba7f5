"""Quizzes as staff define them in the content file (``quizzes:``), and how one is stored.

Registered with the quizzes feature (``handlers/quizzes.py``, ``FEATURE``).
"""
from __future__ import annotations

from pydantic import Field, model_validator

from bot.core.content import Key, Model, Option, Scheduled, unique_keys, utc
from bot.core.plugins import ContentSection
from storage.ports.content import ContentKind, StoredItem


class QuizQuestion(Model):
    text: dict[str, str] = Field(min_length=1)
    options: list[Option] = Field(min_length=2, max_length=10)
    answer: str
    explanation: dict[str, str] = {}

    @model_validator(mode="after")
    def _answer_is_an_option(self) -> "QuizQuestion":
        unique_keys(self.options, "option")
        if self.answer not in {o.key for o in self.options}:
            raise ValueError(f"ответа {self.answer!r} нет среди вариантов")
        return self


class Quiz(Scheduled):
    key: str = Key
    title: dict[str, str] = Field(min_length=1)
    leaderboard: bool = True
    questions: list[QuizQuestion] = Field(min_length=1, max_length=50)


def stored(quiz: Quiz) -> StoredItem:
    return StoredItem(ContentKind.QUIZZES, quiz.key, quiz.model_dump_json(),
                      {"opens_at": utc(quiz.opens), "closes_at": utc(quiz.closes)})


CONTENT = ContentSection("quizzes", Quiz, what="quiz", words=("викторина", "викторины", "викторин"), item=stored)
