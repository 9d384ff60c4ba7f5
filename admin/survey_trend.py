"""A survey's waves side by side, question by question: what the panel's survey page shows and
the XLSX export's «Динамика» sheet holds, computed once here so the two always agree.

For each question, per wave: how many respondents answered it, how often each answer was given
and its share of them (a multiple-choice question's shares add up to more than 100 %), the average
of a scale or a number, and the newest text answers. Only waves that have opened are shown; a
survey without a schedule is one wave. The counting is SQLite's (``storage/statistics.py``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from handlers.survey_waves_content import Wave
from handlers.surveys_content import Survey
from storage.ports.repositories import Repositories
from storage.statuses import QuestionType

COUNTED = (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.SCALE)
AVERAGED = (QuestionType.SCALE, QuestionType.NUMBER)
QUOTED = (QuestionType.TEXT,)


def ru(texts: dict[str, str] | None, fallback: str) -> str:
    return (texts or {}).get("ru") or next(iter((texts or {}).values()), "") or fallback


@dataclass(frozen=True)
class Cell:
    count: int
    percent: float       # of the wave's respondents to the question, 0 when none answered

    @property
    def text(self) -> str:
        return f"{self.count} ({self.percent:g} %)"


@dataclass
class QuestionTrend:
    key: str
    text: str
    type: str
    respondents: list[int]                                        # per wave
    answers: list[tuple[str, list[Cell]]] = field(default_factory=list)   # (answer's title, per wave)
    averages: list[float | None] = field(default_factory=list)    # per wave, scale and number questions
    texts: list[list[str]] = field(default_factory=list)          # per wave, text questions


@dataclass(frozen=True)
class WaveSummary:
    number: int
    opens: datetime
    closes: datetime
    started: int
    completed: int

    @property
    def title(self) -> str:
        return f"Волна {self.number}"


@dataclass
class SurveyTrend:
    key: str
    title: str
    waved: bool                      # has a schedule of waves (else one wave, opens to closes)
    waves: list[WaveSummary]
    questions: list[QuestionTrend]


def _percent(count: int, of: int) -> float:
    return round(100 * count / of, 1) if of else 0.0


def opened_waves(survey: Survey, now: datetime | None = None) -> list[Wave]:
    now = now or datetime.now(timezone.utc)
    return [wave for wave in survey.all_waves() if wave.opens <= now]


async def survey_trend(reader: Repositories, survey_id: int, definition: str, text_limit: int) -> SurveyTrend:
    survey = Survey.model_validate_json(definition)
    waves = opened_waves(survey)
    counts = await reader.statistics.survey_wave_counts(survey_id)
    summaries = [WaveSummary(w.number, w.opens, w.closes, *counts.get(w.number, (0, 0))) for w in waves]
    questions = []
    for question in survey.questions:
        per_wave = await reader.statistics.survey_wave_answers(survey_id, question.key)
        respondents = [per_wave[w.number].respondents if w.number in per_wave else 0 for w in waves]
        trend = QuestionTrend(question.key, ru(question.text, question.key), question.type, respondents)
        if question.type in COUNTED:
            choices: list[tuple[str, str]] = ([(str(n), str(n)) for n in question.scale]
                                              if question.type == QuestionType.SCALE
                                              else [(o.key, ru(o.title, o.key)) for o in question.options])
            for value, title in choices:
                cells = []
                for index, wave in enumerate(waves):
                    given = per_wave[wave.number].counts.get(value, 0) if wave.number in per_wave else 0
                    cells.append(Cell(given, _percent(given, respondents[index])))
                trend.answers.append((title, cells))
        if question.type in AVERAGED:
            trend.averages = [None if per_wave.get(w.number) is None or per_wave[w.number].average is None
                              else round(per_wave[w.number].average or 0, 2) for w in waves]
        if question.type in QUOTED:
            texts = await reader.statistics.survey_wave_texts(survey_id, question.key, text_limit)
            trend.texts = [texts.get(w.number, []) for w in waves]
        questions.append(trend)
    return SurveyTrend(survey.key, ru(survey.title, survey.key), survey.waves is not None, summaries, questions)


def trend_rows(trend: SurveyTrend) -> list[dict[str, Any]]:
    """The trend as rows for the export's summary sheet: per question, a row per answer, then
    the average and the respondents; each row holds ``w<n>_count`` and ``w<n>_percent``."""
    def row(question: QuestionTrend, answer: str, values: list[Any],
            percents: list[float] | None = None) -> dict[str, Any]:
        found: dict[str, Any] = {"question": question.text, "answer": answer}
        for index, wave in enumerate(trend.waves):
            found[f"w{wave.number}_count"] = values[index]
            found[f"w{wave.number}_percent"] = percents[index] if percents else None
        return found

    rows: list[dict[str, Any]] = []
    for question in trend.questions:
        for title, cells in question.answers:
            rows.append(row(question, title, [c.count for c in cells], [c.percent for c in cells]))
        if question.averages:
            rows.append(row(question, "Среднее", list(question.averages)))
        rows.append(row(question, "Ответили на вопрос", list(question.respondents)))
    return rows
