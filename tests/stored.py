"""What the database holds about residents, read in one place.

The consent tests ask it whether anything was kept for residents who never consented. Tables are
found from the schema (every table with a foreign key to ``residents``), so a table added by a
later migration is checked without anyone remembering to add it here.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Collection
from pathlib import Path

from storage.database import Database
from storage.search import indexed_answers, indexed_words
from storage.residents import Resident

MIGRATIONS = Path(__file__).resolve().parents[1] / "storage" / "migrations"


async def tables_about_residents(db: Database) -> dict[str, str]:
    """Each table that references residents, with the column that does."""
    connection = db.reader.residents._db
    tables = [row[0] for row in await connection.execute_fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    found: dict[str, str] = {}
    for table in tables:
        for key in await connection.execute_fetchall(f"PRAGMA foreign_key_list({table})"):
            if key["table"] == "residents":
                found[table] = key["from"]
    return found


async def _counts(db: Database, condition: str, parameters: tuple) -> dict[str, int]:
    """Rows per table that meet ``condition`` on the table's resident column (``{column}``),
    in one statement; only the tables where there are some."""
    tables = await tables_about_residents(db)
    query = " UNION ALL ".join(f"SELECT '{table}', count(*) FROM {table} WHERE {condition.format(column=column)}"
                               for table, column in tables.items())
    rows = await db.reader.residents._db.execute_fetchall(query, parameters * len(tables))
    return {row[0]: row[1] for row in rows if row[1]}


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
