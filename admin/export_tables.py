"""What each export holds, column by column, in the words staff see in the panel.

An official opens a file and must read what the list showed: «П-3», «принято в проект»,
«Идея для парка», «веб-чат», and the hour in the town's own clock. So every table here is made
of columns with a Russian header and a value in those words; the stored keys (``accepted``,
``idea``, ``webchat``, the row id) follow at the end in columns of their own, for GIS and
scripts that group by key. The titles come from the panel's one table (admin/titles.py) and the
settings (categories, receipt prefix, time zone), never from a copy.

A time is handed to the writers as an aware datetime in the town's zone; each format writes it
its own way (a real date cell in XLSX, «02.12.2026 06:20» in CSV, ISO 8601 with the offset in
JSON), and the header names the zone: «Создано (UTC+9)».
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, AsyncIterator, Callable, Mapping

from admin.survey_trend import SurveyTrend, opened_waves, survey_trend, trend_rows
from admin.titles import CHANNEL_TITLES, LANGUAGE_NAMES, OPERATOR_SOURCES, STATUS_TITLES
from bot.config import Settings
from bot.localtime import LocalTime
from handlers.surveys_content import Survey
from storage.ports.moderation import ProposalFilter
from storage.ports.repositories import Repositories

Row = dict[str, Any]
Rows = AsyncIterator[list[list[Any]]]


@dataclass(frozen=True)
class Words:
    """What staff call things, from the settings: the same words as the panel's pages."""

    clock: LocalTime
    receipt_prefix: str
    categories: Mapping[str, str]
    points: Mapping[str, str] = field(default_factory=dict)   # reception points by key

    @classmethod
    def of(cls, settings: Settings) -> Words:
        return cls(settings.project.clock, settings.proposals.receipt_prefix,
                   {c.key: c.title_in("ru") for c in settings.proposals.categories},
                   {p.key: p.title for p in settings.proposals.reception_points})

    def at(self, header: str) -> str:
        """A time column's header with the zone named: «Создано (UTC+9)»."""
        return f"{header} ({self.clock.label()})"

    def time(self, stamp: str | None) -> datetime | None:
        return self.clock.at(stamp)


@dataclass(frozen=True)
class Column:
    key: str                         # the field's name in JSON and GeoJSON (ASCII, for scripts)
    header: str                      # the column's header in CSV and XLSX (Russian)
    value: Callable[[Row], Any]
    time: bool = False               # a moment: an aware datetime in the town's zone, or None


@dataclass
class Table:
    title: str                       # the XLSX sheet's name
    columns: list[Column]
    rows: Rows                       # pages of rows, one value per column


def _field(name: str) -> Callable[[Row], Any]:
    return lambda row: row.get(name)


def _title(name: str, titles: Mapping[str, str]) -> Callable[[Row], Any]:
    return lambda row: None if row.get(name) is None else titles.get(row[name], row[name])


def _source(row: Row) -> Any:
    """How an operator received it, in words; a resident's poster or link source as stored."""
    source = row.get("source")
    return OPERATOR_SOURCES.get(source, source) if row.get("channel") == "operator" else source


def _time(key: str, header: str, words: Words) -> Column:
    """A moment's column, its header naming the zone: «Создано (UTC+9)»."""
    return Column(key, words.at(header), lambda row: words.time(row.get(key)), time=True)


def _keys(channel: bool = True) -> list[Column]:
    """The stored keys, last: what GIS layers and scripts group by."""
    return [Column("channel_key", "Код канала", _field("channel"))] if channel else []


def proposal_columns(words: Words, personal: bool) -> list[Column]:
    def point(row: Row) -> str:
        return "" if row["latitude"] is None else f"{row['latitude']}, {row['longitude']}"

    columns = [
        Column("number", "Номер", lambda row: f"{words.receipt_prefix}{row['id']}"),
        _time("created_at", "Создано", words),
        Column("channel", "Канал", _title("channel", CHANNEL_TITLES)),
        Column("source", "Источник", _source),
        Column("reception_point", "Пункт приёма", _title("reception_point", words.points)),
        Column("category", "Категория", _title("category", words.categories)),
        Column("status", "Статус", _title("status", STATUS_TITLES)),
        Column("text", "Текст", _field("text")),
        Column("address", "Адрес", _field("address")),
        Column("latitude", "Широта", _field("latitude")),
        Column("longitude", "Долгота", _field("longitude")),
        Column("point", "Координаты", point),
        Column("photos", "Фото", _field("photos")),
        Column("supports", "Поддержали", _field("supports")),
    ]
    if personal:
        columns += [Column("resident_id", "Житель", _field("resident_id")),
                    Column("author_name", "Имя автора", _field("author_name")),
                    Column("author_phone", "Телефон автора", _field("author_phone"))]
    return columns + [Column("status_key", "Код статуса", _field("status")),
                      Column("category_key", "Код категории", _field("category")),
                      *_keys(), Column("id", "Номер в базе", _field("id"))]


def _answer(question: dict[str, Any]) -> Callable[[Row], Any]:
    """A survey answer as staff read it: the option's title, not its key; a point as «lat, lon»."""
    options = {o["key"]: (o.get("title") or {}).get("ru") or o["key"] for o in question.get("options", [])}
    key = question["key"]

    def value(row: Row) -> Any:
        answer = row["answers"].get(key)
        if isinstance(answer, list):
            return "; ".join(str(options.get(a, a)) for a in answer)
        if isinstance(answer, dict):
            if "latitude" in answer:
                return f"{answer['latitude']}, {answer.get('longitude')}"
            return json.dumps(answer, ensure_ascii=False)
        if isinstance(answer, str):
            return options.get(answer, answer)
        return answer
    return value


def survey_columns(definition: dict[str, Any], words: Words, personal: bool) -> list[Column]:
    """The response's own fields, one column per question in order, the keys last."""
    columns = [Column("id", "Номер анкеты", _field("id")),
               Column("wave", "Волна", _field("wave")),
               Column("channel", "Канал", _title("channel", CHANNEL_TITLES)),
               _time("started_at", "Начата", words),
               _time("completed_at", "Завершена", words)]
    if personal:
        columns += [Column("resident_id", "Житель", _field("resident_id")),
                    Column("author_name", "Имя", _field("author_name")),
                    Column("author_phone", "Телефон", _field("author_phone"))]
    for question in definition.get("questions", []):
        header = (question.get("text") or {}).get("ru") or question["key"]
        columns.append(Column(f"q:{question['key']}", header, _answer(question)))
    return columns + _keys()


def resident_columns(words: Words) -> list[Column]:
    return [Column("id", "Номер жителя", _field("id")),
            Column("channel", "Канал", _title("channel", CHANNEL_TITLES)),
            Column("external_id", "ID в мессенджере", _field("external_id")),
            Column("display_name", "Имя", _field("display_name")),
            Column("phone", "Телефон", _field("phone")),
            Column("language", "Язык", _title("language", LANGUAGE_NAMES)),
            Column("first_source", "Первый источник", _field("first_source")),
            Column("reachable", "Доступен", lambda row: bool(row["reachable"])),
            _time("consent_at", "Согласие", words),
            _time("created_at", "Первое обращение", words),
            *_keys()]


def _rows(pages: AsyncIterator[list[Row]], columns: list[Column]) -> Rows:
    async def rows() -> Rows:
        async for page in pages:
            yield [[column.value(row) for column in columns] for row in page]
    return rows()


def _sheet_title(text: str) -> str:
    """A sheet's name as Excel allows it: 31 characters, none of []:*?/\\."""
    return "".join(" " if c in "[]:*?/\\" else c for c in text)[:31]


def trend_columns(trend: SurveyTrend, words: Words) -> list[Column]:
    """The «Динамика» sheet: a row per answer of each question, two columns per wave (how many
    chose it, and their share of the wave's respondents to the question)."""
    columns = [Column("question", "Вопрос", _field("question")), Column("answer", "Ответ", _field("answer"))]
    for wave in trend.waves:
        opened = words.clock.text(wave.opens, "%d.%m.%Y")
        columns += [Column(f"w{wave.number}_count", f"Волна {wave.number} ({opened})", _field(f"w{wave.number}_count")),
                    Column(f"w{wave.number}_percent", f"Волна {wave.number}, %", _field(f"w{wave.number}_percent"))]
    return columns


async def _one_page(rows: list[Row], columns: list[Column]) -> Rows:
    yield [[column.value(row) for column in columns] for row in rows]


async def _survey_tables(reader: Repositories, words: Words, survey_id: int, key: str, definition: dict[str, Any],
                         personal: bool, by_wave: bool) -> AsyncIterator[Table]:
    """All the survey's responses in one table; or, ``by_wave`` for a survey with waves, a table
    per wave that has opened and the trend per question across them."""
    columns = survey_columns(definition, words, personal)
    title = (definition.get("title") or {}).get("ru") or key
    if not (by_wave and definition.get("waves")):
        yield Table(_sheet_title(f"Опрос «{title}»"), columns,
                    _rows(reader.exports.survey_responses(survey_id, personal), columns))
        return
    survey = Survey.model_validate(definition)
    for wave in opened_waves(survey):
        opened = words.clock.text(wave.opens, "%d.%m.%Y")
        yield Table(_sheet_title(f"Волна {wave.number} ({opened}) {title}"), columns,
                    _rows(reader.exports.survey_responses(survey_id, personal, wave=wave.number), columns))
    trend = await survey_trend(reader, survey_id, survey.model_dump_json(), 0)
    summary = trend_columns(trend, words)
    yield Table(_sheet_title(f"Динамика {title}"), summary, _one_page(trend_rows(trend), summary))


async def tables(reader: Repositories, words: Words, kind: str, where: ProposalFilter,
                 personal: bool, by_wave: bool = False) -> AsyncIterator[Table]:
    """Each table a kind exports: "proposals", "survey:<key>", "residents", or "all" (every
    table the role may have). ``by_wave`` (a workbook): a survey with waves as a sheet per wave
    and its trend; else one table with the wave in a column."""
    if kind in ("proposals", "all"):
        columns = proposal_columns(words, personal)
        yield Table("Предложения", columns, _rows(reader.exports.proposals(where, personal), columns))
    if kind == "all" or kind.startswith("survey:"):
        for survey_id, key, definition in await reader.exports.surveys():
            if kind != "all" and kind != f"survey:{key}":
                continue
            async for table in _survey_tables(reader, words, survey_id, key, definition, personal, by_wave):
                yield table
    if personal and kind in ("residents", "all"):
        columns = resident_columns(words)
        yield Table("Жители", columns, _rows(reader.exports.residents(), columns))
