"""The search indexes on PostgreSQL: the lemmas of texts that changed, computed before commit.

SQLite's triggers call our lemmatiser (``storage.search.register``); PostgreSQL cannot, so the
work is split: triggers (storage/migrations/postgres/0001_schema.sql) mark a row of
``*_search`` stale (lemmas NULL) in the statement that inserts or changes the text, and
``refresh`` — run by ``PostgresDatabase.transaction`` just before every commit — fills in what
was marked, in Python, with the same ``indexed_words`` as SQLite. The index therefore changes in
the same transaction as the text, whichever repository wrote it, and no repository has to
remember it. A search inside the writing transaction, before it commits, does not yet see its
own changes (none does today: searches are the panel's, on committed data).
"""
from __future__ import annotations

from storage.search import indexed_answers, indexed_words, lexemes
from storage.sql import SqlConnection

_UPDATE = "UPDATE {table} SET lemmas = array_to_tsvector(CAST(? AS text[])) WHERE id = ?"


async def refresh(connection: SqlConnection) -> None:
    proposals = await connection.execute_fetchall(
        "SELECT s.id, p.text, p.address FROM proposals_search s JOIN proposals p ON p.id = s.id"
        " WHERE s.lemmas IS NULL")
    if proposals:
        await connection.executemany(_UPDATE.format(table="proposals_search"), [
            (lexemes(indexed_words(text) + " " + indexed_words(address)), id_) for id_, text, address in proposals])
    answers = await connection.execute_fetchall(
        "SELECT s.id, r.answers, c.definition FROM survey_answers_search s"
        " JOIN survey_responses r ON r.id = s.id JOIN content_items c ON c.id = r.survey_id"
        " WHERE s.lemmas IS NULL")
    if answers:
        await connection.executemany(_UPDATE.format(table="survey_answers_search"), [
            (lexemes(indexed_answers(given, definition)), id_) for id_, given, definition in answers])
    works = await connection.execute_fetchall(
        "SELECT s.id, e.text FROM contest_entries_search s JOIN contest_entries e ON e.id = s.id"
        " WHERE s.lemmas IS NULL")
    if works:
        await connection.executemany(_UPDATE.format(table="contest_entries_search"), [
            (lexemes(indexed_words(text)), id_) for id_, text in works])
