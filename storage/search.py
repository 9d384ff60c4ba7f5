"""Full-text search by lemmas: «скамейка» finds «скамейки», «парк» finds «в парке».

The FTS5 indexes (proposals' text and address, survey text answers, contest works) hold each
word's dictionary forms (``morphology.lemma_options``: every equally likely one, so «парке» is
indexed as «парк» and «парка» and found by either), and a query is lemmatised the same way: each
typed word matches any of its lemmas, or, as before, any indexed word it begins («скамей»).

Why SQL functions and triggers, not Python in the repositories: the lemmatiser is registered on
every connection the bot opens (``register``) as a deterministic SQLite function, and triggers
call it, so the index changes in the same statement and transaction as the text, whichever code
writes it — a proposal sent, a correction, a redaction or erasure after /forget, a migration.
Code that forgets the index cannot exist, and the lemmatising runs in the database's thread,
off the event loop. The price: a connection without the functions (the ``sqlite3`` shell)
cannot change these texts — it gets "no such function: search_lemmas" and changes nothing,
which is better than an index out of step. The index tables keep their own copy of the lemmas
(not ``content=`` over the texts), so a row is deleted by rowid whatever lemmas a newer
dictionary would give.
"""
from __future__ import annotations

import json
from typing import Any

import aiosqlite

from storage.morphology import STOP_WORDS, WORD, lemma_options
from storage.sql import Dialect, SqlConnection

QUERY_WORDS = 12  # a query's first words that count; the rest is dropped, not sent to FTS5
TEXT_QUESTIONS = ("text",)  # survey question types whose answers are the resident's own words


def indexed_words(text: Any) -> str:
    """What the index stores for a text: every lemma option of every word, space-separated."""
    if not isinstance(text, str) or not text:
        return ""
    return " ".join(item for word in WORD.findall(text) for item in lemma_options(word.lower()))


def indexed_answers(answers: Any, definition: Any) -> str:
    """What the index stores for a survey response: its answers to text questions."""
    try:
        given = json.loads(answers or "{}")
        questions = json.loads(definition or "{}").get("questions", [])
    except (TypeError, ValueError, AttributeError):
        return ""
    if not isinstance(given, dict):
        return ""
    keys = [q.get("key") for q in questions if isinstance(q, dict) and q.get("type") in TEXT_QUESTIONS]
    return " ".join(indexed_words(given.get(key)) for key in keys if isinstance(given.get(key), str))


def text_answers(answers: dict[str, Any], definition: dict[str, Any]) -> list[tuple[str, str]]:
    """(question key, answer) of a response's text answers, in the survey's order."""
    return [(q["key"], answers[q["key"]]) for q in definition.get("questions", [])
            if q.get("type") in TEXT_QUESTIONS and isinstance(answers.get(q.get("key")), str)]


def _terms(query: str) -> list[tuple[list[str], str]]:
    """Each counted word of a query: (its lemmas not covered by the prefix, the word as typed)."""
    words = [word.lower() for word in WORD.findall(query or "")][:QUERY_WORDS]
    meaningful = [word for word in words if lemma_options(word)[0] not in STOP_WORDS]
    terms = []
    for word in meaningful or words:
        typed = word.replace("ё", "е")
        terms.append(([item for item in lemma_options(word) if not item.startswith(typed)], typed))
    return terms


def match_expression(query: str) -> str:
    """An FTS5 MATCH expression for what staff typed, '' when it holds no word.

    Every word is required; a word matches any of its lemmas or anything beginning with it as
    typed. Only words are taken, each quoted, so quotes, ``*``, ``AND``, ``NEAR(`` and column
    names are searched as words, never read as FTS5 syntax. Stop words («в», «на») are left
    out unless nothing else was typed."""
    return " AND ".join("(" + " OR ".join([*(f'"{item}"' for item in options), f'"{typed}"*']) + ")"
                        for options, typed in _terms(query))


def folded(word: str) -> str:
    """A word as PostgreSQL's index keeps it: lower case, «ё» as «е» (as the lemmas and the typed
    words are on SQLite), so both engines find alike. «й» stays: FTS5's ``remove_diacritics``
    folds Latin letters only, and ours hold none with marks (``WORD``)."""
    return word.lower().replace("ё", "е")


def lexemes(text: str) -> list[str]:
    """The words of an indexed text (``indexed_words``) as a PostgreSQL tsvector's lexemes."""
    return sorted({folded(item) for item in text.split()})


def tsquery_expression(query: str) -> str:
    """The PostgreSQL tsquery of ``match_expression``: the same words, lemmas and prefixes, ''
    when it holds no word. Lexemes are quoted (our words hold no quote), read as they are."""
    return " & ".join("(" + " | ".join([*(f"'{folded(item)}'" for item in options), f"'{folded(typed)}':*"]) + ")"
                      for options, typed in _terms(query))


SEARCH_INDEXES = ("proposals_fts", "survey_answers_fts", "contest_entries_fts")


def matching(dialect: Dialect, index: str, query: str) -> tuple[str, str] | None:
    """The ids of ``index``'s rows (``proposals``, ``survey_answers``, ``contest_entries``) that
    hold every word of ``query``, as a subquery with one ``?`` and its parameter; None when the
    query holds no word. The one place where search differs by engine: FTS5 on SQLite, the
    tsvector tables with their GIN index on PostgreSQL (storage/postgres/search_index.py)."""
    if dialect == "postgresql":
        expression = tsquery_expression(query)
        return (f"SELECT id FROM {index}_search WHERE lemmas @@ CAST(? AS tsquery)", expression) if expression else None
    expression = match_expression(query)
    return (f"SELECT rowid FROM {index}_fts WHERE {index}_fts MATCH ?", expression) if expression else None


async def register(connection: aiosqlite.Connection) -> None:
    """Make the index's functions known to a connection (before migrations run on it)."""
    await connection.create_function("search_lemmas", 1, indexed_words, deterministic=True)
    await connection.create_function("search_answer_lemmas", 2, indexed_answers, deterministic=True)


async def compact(connection: SqlConnection) -> None:
    """Rewrite every search index in one piece: after a text changes, its old words stay in the
    index's older segments, marked deleted, until the segments are merged — an erased text must
    not. On PostgreSQL a row's lemmas go with the row (ON DELETE CASCADE) or are replaced in
    place, so there is nothing to merge."""
    if connection.dialect == "postgresql":
        return
    for table in SEARCH_INDEXES:
        await connection.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
