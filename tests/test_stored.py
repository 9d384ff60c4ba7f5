"""Tests read what the database holds through tests/stored.py (or a repository's public method),
never through a repository's connection nor a connection of their own: a test says what it
checks, and a second storage backend changes one module of the tests, not forty.

(An older release's database, made with ``stored.database_at_version``, is still filled with
rows written as that release wrote them: no code of today can write its schema.)"""
from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
HELPER = TESTS / "stored.py"
CLUSTER = TESTS / "postgres.py"  # the throw-away PostgreSQL cluster: makes and drops databases
OWN_CONNECTION = re.compile(r"\.(_db|_writer)\b|\bsqlite3\.connect\(|\baiosqlite\.connect\(|"
                            r"\bpsycopg\.(Async)?Connection\.connect\(")


def test_only_the_helper_opens_or_reaches_a_connection() -> None:
    found = [f"{path.relative_to(TESTS)}:{number}: {line.strip()}"
             for path in sorted(TESTS.rglob("*.py")) if path not in (HELPER, CLUSTER, Path(__file__))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if OWN_CONNECTION.search(line)]
    assert not found, "read through tests/stored.py:\n" + "\n".join(found)
