"""What the database holds, read in one place: the only test module that holds SQL.

A test says *what* it checks (``await stored.count(db, "inbox", processed_at=None)``,
``await stored.ballots(db, "park_name")``) and this module says how that is read. Where a
repository has a public method for it, use that in the test itself; what none has is read
here, through one small set of functions:

- ``count``, ``rows``, ``records``, ``values`` and ``grouped`` read one table, rows chosen by
  ``column=value`` (``None``: the column is NULL; ``SET``: it is not);
- ``change``, ``delete`` and ``insert`` arrange a state no public method makes (a session
  expired long ago, an update given up on);
- ``InFile(path)`` reads the same way from the file of a bot that runs as another process;
- ``schema``, ``table_names``, ``index_names`` and ``columns_holding`` look at the schema itself
  (an upgrade kept its indexes; no column anywhere still holds an erased number);
- the named readers after them answer the questions that join tables (``ballots``,
  ``quiz_attempts``, ``reply_statuses``, ``settled_updates``, ...);
- ``database_at_version`` makes the database of an older release, ``put`` and ``every_row``
  write and read its rows;
- ``tables_about_residents``, ``rows_of`` and ``rows_not_of`` say what is kept about
  residents (tables found from the schema: every table with a foreign key to ``residents``, so a
  table added by a later migration is checked without anyone remembering to add it here).

``source`` is a ``Database`` (read through its reader) or the repositories of an open
transaction (read through its writer, so a test sees what the transaction wrote).
"""
from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Iterator
from contextlib import asynccontextmanager, closing, contextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.database import Database
from storage.ports.repositories import Database as AnyDatabase
from storage.repositories import Repositories
from storage.residents import Resident
from storage.search import indexed_answers, indexed_words
from storage.sql import json_text_at
from tests import postgres

MIGRATIONS = Path(__file__).resolve().parents[1] / "storage" / "migrations"
SET = object()  # as a condition's value: the column is not NULL
_NAME = re.compile(r"[a-z_][a-z0-9_]*\Z")
_Statements = Callable[..., Any]  # runs one statement: (sql, parameters) -> a cursor


def connection(source: Database | Repositories) -> aiosqlite.Connection:
    """The connection to read through; also what storage's module-level functions take
    (``storage.whatsapp``)."""
    repositories = source.reader if hasattr(source, "reader") else source  # a database of either engine
    return repositories.residents._db


def _name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"not a table or column name: {name!r}")
    return name


def _where(conditions: dict[str, Any]) -> tuple[str, list[Any]]:
    clauses, parameters = [], []
    for column, value in conditions.items():
        if value is None:
            clauses.append(f"{_name(column)} IS NULL")
        elif value is SET:
            clauses.append(f"{_name(column)} IS NOT NULL")
        else:
            clauses.append(f"{_name(column)} = ?")
            parameters.append(value)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), parameters


async def _fetch(source: Database | Repositories, query: str, parameters: Iterable[Any] = ()) -> list[tuple]:
    return [tuple(row) for row in await connection(source).execute_fetchall(query, tuple(parameters))]


def _counting(table: str, where: dict[str, Any]) -> tuple[str, list[Any]]:
    clause, parameters = _where(where)
    return f"SELECT count(*) FROM {_name(table)}{clause}", parameters


def _selecting(table: str, columns: tuple[str, ...], order_by: str | None,
               where: dict[str, Any]) -> tuple[str, list[Any]]:
    clause, parameters = _where(where)
    names = ", ".join(_name(column) for column in columns) or "*"
    order = f" ORDER BY {_name(order_by)}" if order_by else ""
    return f"SELECT {names} FROM {_name(table)}{clause}{order}", parameters


def _grouping(table: str, column: str, where: dict[str, Any]) -> tuple[str, list[Any]]:
    clause, parameters = _where(where)
    return f"SELECT {_name(column)}, count(*) FROM {_name(table)}{clause} GROUP BY {_name(column)}", parameters


async def count(source: Database | Repositories, table: str, **where: Any) -> int:
    """How many rows of ``table`` meet ``where``."""
    return (await _fetch(source, *_counting(table, where)))[0][0]


async def rows(source: Database | Repositories, table: str, *columns: str, order_by: str | None = None,
               **where: Any) -> list[tuple]:
    """``columns`` (all, if none) of the rows of ``table`` that meet ``where``, in ``order_by``
    order (without one, as SQLite reads them)."""
    return await _fetch(source, *_selecting(table, columns, order_by, where))


async def records(source: Database | Repositories, table: str, **where: Any) -> list[dict[str, Any]]:
    """Every column, by name, of the rows of ``table`` that meet ``where``, as stored."""
    query, parameters = _selecting(table, (), None, where)
    return [dict(row) for row in await connection(source).execute_fetchall(query, parameters)]


async def values(source: Database | Repositories, table: str, column: str, order_by: str | None = None,
                 **where: Any) -> list[Any]:
    """One column of the rows of ``table`` that meet ``where``."""
    return [row[0] for row in await rows(source, table, column, order_by=order_by, **where)]


async def grouped(source: Database | Repositories, table: str, column: str, **where: Any) -> dict[Any, int]:
    """How many rows of ``table`` (meeting ``where``) hold each value of ``column``."""
    return dict(await _fetch(source, *_grouping(table, column, where)))


class InFile:
    """The same reads on the database file of a bot that runs in another process (or has
    crashed): each read opens the file, reads and closes it, so it never holds a lock the bot
    waits for. On a PostgreSQL run (tests/postgres.py) the file names the database standing in
    for it, read over a connection of its own the same way."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self.url = postgres.stand_in(path) if postgres.on_postgresql() else None

    @contextmanager
    def _connected(self, timeout: float = 5.0) -> Iterator[_Statements]:
        """A connection that runs our SQLite-style statements (``?`` placeholders) and commits
        when the block ends without an error."""
        if self.url is None:
            with closing(sqlite3.connect(self.path, timeout=timeout, isolation_level=None)) as db:
                yield db.execute
            return
        import psycopg

        from storage.postgres.connection import configure, numbered, translate
        from storage.sql import IntegrityError

        with psycopg.connect(self.url, autocommit=True) as db:
            configure(db)  # type: ignore[arg-type]  # the same adapters on a blocking connection

            def run(query: str, parameters: Iterable[Any] = ()) -> Any:
                text, by_number = translate(query)
                try:
                    return db.execute(text, numbered(parameters) if by_number else tuple(parameters))
                except psycopg.errors.IntegrityError as error:
                    raise IntegrityError(str(error)) from error
            yield run

    def _fetch(self, query: str, parameters: Iterable[Any] = ()) -> list[tuple]:
        with self._connected() as run:
            return [tuple(row) for row in run(query, tuple(parameters)).fetchall()]

    def _sqlite_only(self, what: str) -> None:
        if self.url is not None:
            raise NotImplementedError(f"{what} is SQLite's own: a test of it is marked sqlite_only")

    def count(self, table: str, **where: Any) -> int:
        return self._fetch(*_counting(table, where))[0][0]

    def rows(self, table: str, *columns: str, order_by: str | None = None, **where: Any) -> list[tuple]:
        return self._fetch(*_selecting(table, columns, order_by, where))

    def values(self, table: str, column: str, order_by: str | None = None, **where: Any) -> list[Any]:
        return [row[0] for row in self.rows(table, column, order_by=order_by, **where)]

    def grouped(self, table: str, column: str, **where: Any) -> dict[Any, int]:
        return dict(self._fetch(*_grouping(table, column, where)))

    def change(self, table: str, where: dict[str, Any], **new: Any) -> int:
        """Set ``new`` values on the rows of ``table`` that meet ``where``; how many changed."""
        clause, parameters = _where(where)
        assignments = ", ".join(f"{_name(column)} = ?" for column in new)
        with self._connected() as run:
            return int(run(f"UPDATE {_name(table)} SET {assignments}{clause}", [*new.values(), *parameters]).rowcount)

    @contextmanager
    def write_locked(self) -> Iterator[None]:
        """Hold the database's write lock meanwhile, as another process would (a backup, the CLI)."""
        self._sqlite_only("the one write lock of a database file")
        with closing(sqlite3.connect(self.path, isolation_level=None)) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield
            finally:
                db.execute("ROLLBACK")

    def insert(self, table: str, **new: Any) -> None:
        """A row written as another process would, past the bot's code (to see a constraint
        refuse it); waits up to 10 s for the bot's write lock."""
        names = ", ".join(_name(column) for column in new)
        with self._connected(timeout=10) as run:
            run(f"INSERT INTO {_name(table)} ({names}) VALUES ({', '.join('?' * len(new))})", list(new.values()))

    def table_names(self) -> set[str]:
        return set(row[0] for row in self._fetch(_TABLES_POSTGRESQL if self.url else _TABLES_SQLITE, ("%",)))

    def journal_mode(self) -> str:
        self._sqlite_only("a journal mode")
        return self._fetch("PRAGMA journal_mode")[0][0]

    def integrity(self) -> list[str]:
        """``PRAGMA integrity_check``: ``["ok"]``, or what is wrong (a backup's copy is checked so)."""
        self._sqlite_only("PRAGMA integrity_check")
        return [row[0] for row in self._fetch("PRAGMA integrity_check")]

    def copies_sent(self, channel: str, text: str) -> dict[str, int]:
        """How many replies saying ``text`` each of ``channel``'s residents was written."""
        said = json_text_at("postgresql" if self.url else "sqlite", "payload", "text")
        return dict(self._fetch(f"SELECT external_id, count(*) FROM outbox WHERE channel = ? AND {said} = ?"
                                " GROUP BY external_id", (channel, text)))

    def watch_inbox_payloads(self) -> None:
        """From now on, copy aside every payload the inbox is given (``inbox_payloads``), before
        processing clears it."""
        if self.url:
            with self._connected() as run:
                run("CREATE TABLE seen (payload TEXT)")
                run("CREATE FUNCTION keep_seen() RETURNS trigger LANGUAGE plpgsql AS"
                    " $$ BEGIN INSERT INTO seen (payload) VALUES (NEW.payload); RETURN NEW; END $$")
                run("CREATE TRIGGER keep_seen AFTER INSERT ON inbox FOR EACH ROW EXECUTE FUNCTION keep_seen()")
            return
        with closing(sqlite3.connect(self.path)) as db:
            db.executescript("CREATE TABLE seen (payload TEXT);"
                             "CREATE TRIGGER keep_seen AFTER INSERT ON inbox"
                             " BEGIN INSERT INTO seen (payload) VALUES (NEW.payload); END;")

    def inbox_payloads(self) -> list[str | None]:
        """Every payload the inbox was given since ``watch_inbox_payloads``."""
        return self.values("seen", "payload")

    def replies_per_update(self, channel: str) -> list[tuple[str, int]]:
        """(update id, replies written for it) of each of ``channel``'s updates."""
        return self._fetch("SELECT i.update_id, count(o.id) FROM inbox i LEFT JOIN outbox o ON o.inbox_id = i.id"
                           " WHERE i.channel = ? GROUP BY i.id", (channel,))


async def change(tx: Repositories, table: str, where: dict[str, Any], **new: Any) -> int:
    """Set ``new`` values on the rows of ``table`` that meet ``where`` (inside a transaction);
    how many rows changed."""
    clause, parameters = _where(where)
    assignments = ", ".join(f"{_name(column)} = ?" for column in new)
    cursor = await connection(tx).execute(f"UPDATE {_name(table)} SET {assignments}{clause}",
                                          [*new.values(), *parameters])
    return cursor.rowcount


async def delete(tx: Repositories, table: str, **where: Any) -> int:
    """Delete the rows of ``table`` that meet ``where`` (inside a transaction); how many."""
    clause, parameters = _where(where)
    return (await connection(tx).execute(f"DELETE FROM {_name(table)}{clause}", parameters)).rowcount


async def insert(tx: Repositories, table: str, **new: Any) -> None:
    """A row written as it is, past the repositories (to see a constraint refuse it)."""
    names = ", ".join(_name(column) for column in new)
    await connection(tx).execute(f"INSERT INTO {_name(table)} ({names}) VALUES ({', '.join('?' * len(new))})",
                                 list(new.values()))


_TABLES_SQLITE = "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ? ESCAPE '\\'"
_TABLES_POSTGRESQL = ("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                      " AND table_type = 'BASE TABLE' AND table_name LIKE ? ESCAPE '\\'")


def _on_postgresql(source: Database | Repositories) -> bool:
    return getattr(connection(source), "dialect", "sqlite") == "postgresql"


def engine(source: Database | Repositories) -> str:
    """``sqlite`` or ``postgresql``: the engine ``source`` stores on."""
    return "postgresql" if _on_postgresql(source) else "sqlite"


async def search_index_tables(source: Database | Repositories) -> list[str]:
    """The tables of the full-text search indexes: FTS5's with their shadow tables (the content,
    the data blobs) on SQLite, the tsvector tables (``*_search``) on PostgreSQL."""
    return await table_names(source, like="%\\_search" if _on_postgresql(source) else "%\\_fts%")


async def table_names(source: Database | Repositories, like: str = "%") -> list[str]:
    """The tables there are (names matching ``like``, ``\\`` escaping ``_``), on either engine."""
    return await values_of(source, _TABLES_POSTGRESQL if _on_postgresql(source) else _TABLES_SQLITE, like)


async def schema(source: Database | Repositories) -> dict[str, str]:
    """Each table's CREATE statement, by the table's name, as the database holds it now."""
    return dict(await _fetch(source, "SELECT name, sql FROM sqlite_master WHERE type = 'table'"))


async def index_names(source: Database | Repositories) -> set[str]:
    """The indexes the schema declares (not those SQLite makes for a UNIQUE)."""
    return set(await values_of(source, "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))


async def columns(db: AnyDatabase) -> dict[str, list[tuple[str, bool]]]:
    """Each table's columns in their order, as (name, NOT NULL), on either engine; the engines'
    own tables left out (SQLite's FTS5 indexes, PostgreSQL's tsvector indexes and its record of
    migrations), which differ by design."""
    reading = db.reader.residents._db
    if reading.dialect == "postgresql":
        rows = await reading.execute_fetchall(
            "SELECT table_name, column_name, is_nullable = 'NO' FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name NOT LIKE '%\\_search' AND table_name != 'schema_migrations'"
            " ORDER BY table_name, ordinal_position")
    else:
        rows = await reading.execute_fetchall(
            "SELECT m.name, c.name, c.\"notnull\" OR c.pk > 0 FROM sqlite_master m, pragma_table_info(m.name) c"
            " WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
            " AND m.name NOT LIKE '%\\_fts%' ESCAPE '\\'"
            " ORDER BY m.name, c.cid")
    found: dict[str, list[tuple[str, bool]]] = {}
    for table, column, required in rows:
        found.setdefault(table, []).append((column, bool(required)))
    return found


async def values_of(source: Database | Repositories, query: str, *parameters: Any) -> list[Any]:
    return [row[0] for row in await _fetch(source, query, parameters)]


async def columns_holding(source: Database | Repositories, piece: str,
                          tables: Iterable[str] | None = None) -> list[str]:
    """``table.column`` of every column in which some row holds ``piece`` (the bytes, in any
    type: text, JSON, a blob); every table, or ``tables``."""
    found = []
    for table in (await table_names(source)) if tables is None else tables:
        if _on_postgresql(source):
            typed = await _fetch(source, "SELECT column_name, data_type FROM information_schema.columns"
                                         " WHERE table_schema = 'public' AND table_name = ?", (table,))
            holding = {column: (f'position(convert_to(?, \'UTF8\') in "{column}") > 0' if kind == "bytea"
                                else f'strpos(CAST("{column}" AS text), ?) > 0') for column, kind in typed}
        else:
            holding = {row[1]: f'instr(CAST("{row[1]}" AS BLOB), CAST(? AS BLOB)) > 0'
                       for row in await _fetch(source, f'PRAGMA table_info("{table}")')}
        for column, condition in holding.items():
            hits = await _fetch(source, f'SELECT count(*) FROM "{table}" WHERE {condition}', (piece,))
            if hits[0][0]:
                found.append(f"{table}.{column}")
    return found


# -- the questions that join tables ------------------------------------------------------------

async def ballots(source: Database | Repositories, poll: str) -> list[tuple[str, str, str]]:
    """(voter key, channel, option) of each choice on the ballots of poll ``poll``."""
    return await _fetch(source, "SELECT b.voter_key, b.channel, c.option_key FROM ballots b"
                                " JOIN content_items p ON p.id = b.poll_id JOIN ballot_choices c ON c.ballot_id = b.id"
                                " WHERE p.key = ?", (poll,))


async def voters(source: Database | Repositories, poll: str) -> list[tuple[str, str]]:
    """(voter key, channel) of each ballot of poll ``poll``."""
    return await _fetch(source, "SELECT b.voter_key, b.channel FROM ballots b JOIN content_items p ON p.id = b.poll_id"
                                " WHERE p.kind = 'polls' AND p.key = ?", (poll,))


async def choices(source: Database | Repositories) -> dict[str, int]:
    """How often each option was chosen, over every poll."""
    return await grouped(source, "ballot_choices", "option_key")


async def quiz_attempts(source: Database | Repositories, quiz: str) -> list[tuple[int, int, bool]]:
    """(score, questions answered, finished) of each attempt at quiz ``quiz``, in order."""
    found = await _fetch(source, "SELECT a.score, a.answered, a.finished_at IS NOT NULL FROM quiz_attempts a"
                                 " JOIN content_items q ON q.id = a.quiz_id WHERE q.key = ? ORDER BY a.id", (quiz,))
    return [(score, answered, bool(finished)) for score, answered, finished in found]


async def proposals_with_photos(source: Database | Repositories) -> list[tuple[str, str, str, int]]:
    """(category, text, address, photos) of each proposal, in order."""
    return await _fetch(source, "SELECT p.category, p.text, p.address, (SELECT count(*) FROM proposal_attachments a"
                                " WHERE a.proposal_id = p.id) FROM proposals p ORDER BY p.id")


async def authored_proposals(source: Database | Repositories) -> list[tuple]:
    """(category, text, latitude, source, the author's consent version, photos) of each proposal
    that has an author."""
    return await _fetch(source, "SELECT p.category, p.text, p.latitude, p.source, r.consent_version,"
                                " (SELECT count(*) FROM proposal_attachments a WHERE a.proposal_id = p.id)"
                                " FROM proposals p JOIN residents r ON r.id = p.resident_id")


async def reply_statuses(source: Database | Repositories, update_id: str) -> list[str]:
    """The delivery status of each reply to the update ``update_id``."""
    return await values_of(source, "SELECT o.status FROM outbox o JOIN inbox i ON i.id = o.inbox_id"
                                   " WHERE i.update_id = ? ORDER BY o.id", update_id)


async def watch_whatsapp_windows(tx: Repositories) -> None:
    """From now on, note each WhatsApp window the moment it is written, with whether the
    message that opened it was stored by then (``window_writes``)."""
    db = connection(tx)
    await db.execute("CREATE TABLE window_written (wa_id TEXT, message_stored INTEGER)")
    if _on_postgresql(tx):
        await db.execute(
            "CREATE FUNCTION note_window() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " INSERT INTO window_written SELECT NEW.wa_id, CAST(EXISTS (SELECT 1 FROM inbox WHERE channel = 'whatsapp'"
            f"   AND {json_text_at('postgresql', 'payload', 'ref', 'external_id')} = NEW.wa_id) AS integer);"
            " RETURN NEW; END $$")
        await db.execute("CREATE TRIGGER note_window AFTER INSERT ON whatsapp_contacts"
                         " FOR EACH ROW EXECUTE FUNCTION note_window()")
        return
    await db.execute(
        "CREATE TRIGGER note_window AFTER INSERT ON whatsapp_contacts BEGIN"
        " INSERT INTO window_written SELECT NEW.wa_id, EXISTS (SELECT 1 FROM inbox WHERE channel = 'whatsapp'"
        "   AND json_extract(payload, '$.ref.external_id') = NEW.wa_id); END")


async def window_writes(source: Database | Repositories) -> list[tuple[str, bool]]:
    """(number, its message stored before) of each window written since ``watch_whatsapp_windows``."""
    return [(wa_id, bool(kept)) for wa_id, kept in await rows(source, "window_written", "wa_id", "message_stored")]


async def settled_updates(source: Database | Repositories, keys: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Which of the (channel, update id) ``keys`` are processed with no reply left to send."""
    pairs = ", ".join("(?, ?)" for _ in keys)
    return await _fetch(source, "SELECT i.channel, i.update_id FROM inbox i"
                                f" WHERE (i.channel, i.update_id) IN (VALUES {pairs}) AND i.processed_at IS NOT NULL"
                                " AND NOT EXISTS (SELECT 1 FROM outbox o"
                                " WHERE o.inbox_id = i.id AND o.status = 'pending')",
                        [value for key in keys for value in key])


async def tables_about_residents(db: Database) -> dict[str, str]:
    """Each table that references residents, with the column that does."""
    found: dict[str, str] = {}
    if _on_postgresql(db):
        return dict(await _fetch(
            db, "SELECT c.table_name, k.column_name FROM information_schema.table_constraints c"
                " JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name"
                " AND k.table_schema = c.table_schema"
                " JOIN information_schema.constraint_column_usage r"
                " ON r.constraint_name = c.constraint_name AND r.table_schema = c.table_schema"
                " WHERE c.constraint_type = 'FOREIGN KEY' AND c.table_schema = 'public'"
                " AND r.table_name = 'residents' ORDER BY c.table_name, k.column_name"))
    tables = [name for name in await table_names(db) if not name.startswith("sqlite_")]
    for table in tables:
        for key in await connection(db).execute_fetchall(f"PRAGMA foreign_key_list({table})"):
            if key["table"] == "residents":
                found[table] = key["from"]
    return found


async def _counts(db: Database, condition: str, parameters: tuple) -> dict[str, int]:
    """Rows per table that meet ``condition`` on the table's resident column (``{column}``),
    in one statement; only the tables where there are some."""
    tables = await tables_about_residents(db)
    query = " UNION ALL ".join(f"SELECT '{table}', count(*) FROM {table} WHERE {condition.format(column=column)}"
                               for table, column in tables.items())
    counted = await _fetch(db, query, parameters * len(tables))
    return {row[0]: row[1] for row in counted if row[1]}


async def rows_of(db: Database, resident_id: int) -> dict[str, int]:
    """Rows, per table, that belong to this resident."""
    return await _counts(db, "{column} = ?", (resident_id,))


async def rows_not_of(db: Database, owners: Collection[int]) -> dict[str, int]:
    """Rows, per table, that belong to a resident other than ``owners`` or to none (what an
    erasure leaves anonymously)."""
    marks = ", ".join("?" * len(owners)) or "NULL"
    return await _counts(db, f"{{column}} IS NULL OR {{column}} NOT IN ({marks})", tuple(owners))


def personal_fields(resident: Resident | None, kept_in_state: Collection[str] = ("then",)) -> dict[str, object]:
    """What the resident's own row holds that consent must come before: a name, a phone, a
    consent, a conversation's draft (only ``kept_in_state`` may stay: a poster's link)."""
    if resident is None:
        return {}
    found = {"display_name": resident.display_name, "phone": resident.phone,
             "phone_verified": resident.phone_verified, "consent_at": resident.consent_at,
             "state_data": {k: v for k, v in resident.state_data.items() if k not in kept_in_state}}
    return {name: value for name, value in found.items() if value}


class WrittenResults:
    """The statements the bot's writer ran while watched (``watch_results``), read for what
    they did to deliveries: how often a broadcast's results were written, and in how many
    transactions (a result is a row updated by the sender's batch statement).

    On PostgreSQL, whose writers are the server's, a trigger notes instead the transaction of
    each delivery set to 'sent' (``in_transactions``)."""

    RESULT = "UPDATE deliveries SET status = 'sent'"  # as SQLite traces it, parameters expanded

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.in_transactions: list[int] | None = None

    def writes(self) -> int:
        if self.in_transactions is not None:
            return len(self.in_transactions)
        return sum(1 for statement in self.statements if statement.startswith(self.RESULT))

    def transactions(self) -> int:
        if self.in_transactions is not None:
            return len(set(self.in_transactions))
        count, inside = 0, False
        for statement in self.statements:
            if statement.startswith("BEGIN"):
                inside = False
            elif statement.startswith(self.RESULT) and not inside:
                inside = True
                count += 1
        return count


@asynccontextmanager
async def watch_results(db: Database) -> AsyncIterator[WrittenResults]:
    """Trace every statement the bot's writer runs meanwhile."""
    written = WrittenResults()
    if _on_postgresql(db):
        async with db.transaction() as tx:
            for statement in (
                    "CREATE TABLE result_written (xact bigint)",
                    "CREATE FUNCTION note_result() RETURNS trigger LANGUAGE plpgsql AS"
                    " $$ BEGIN INSERT INTO result_written VALUES (txid_current()); RETURN NEW; END $$",
                    "CREATE TRIGGER note_result AFTER UPDATE ON deliveries FOR EACH ROW"
                    " WHEN (NEW.status = 'sent' AND OLD.status IS DISTINCT FROM 'sent')"
                    " EXECUTE FUNCTION note_result()"):
                await connection(tx).execute(statement)
        try:
            yield written
        finally:
            written.in_transactions = await values(db, "result_written", "xact")
        return
    await db._writer.set_trace_callback(written.statements.append)
    try:
        yield written
    finally:
        await db._writer.set_trace_callback(None)


def put(old: sqlite3.Connection, table: str, **new: Any) -> None:
    """A row in an older release's database (``database_at_version``), written as that release
    wrote it: no code of today can write its schema."""
    names = ", ".join(_name(column) for column in new)
    old.execute(f"INSERT INTO {_name(table)} ({names}) VALUES ({', '.join('?' * len(new))})", list(new.values()))


def every_row(old: sqlite3.Connection, table: str) -> list[tuple]:
    """Every row of ``table`` of an older release's database, by id."""
    return old.execute(f"SELECT * FROM {_name(table)} ORDER BY id").fetchall()


def database_at_version(path: Path, version: int) -> sqlite3.Connection:
    """A database as an older release left it: the migrations up to ``version`` and no further,
    made without the bot (so no function or trigger of a later release is there). The search
    index's functions are registered, as every release since 0017 registers them: its triggers
    and the migrations that index existing rows call them."""
    old = sqlite3.connect(path)
    old.create_function("search_lemmas", 1, indexed_words, deterministic=True)
    old.create_function("search_answer_lemmas", 2, indexed_answers, deterministic=True)
    for script in sorted(MIGRATIONS.glob("00*.sql")):
        if int(script.name[:4]) <= version:
            old.executescript(script.read_text(encoding="utf-8"))
    old.execute(f"PRAGMA user_version = {int(version)}")
    return old
