"""Tests read what the database holds through tests/stored.py (or a repository's public method),
never through a repository's connection: a test says what it checks, and a second storage
backend changes one module of the tests, not forty."""
from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
HELPER = TESTS / "stored.py"
CONNECTION = re.compile(r"\._db\b")


def test_only_the_helper_reaches_a_repositorys_connection() -> None:
    found = [f"{path.relative_to(TESTS)}:{number}: {line.strip()}"
             for path in sorted(TESTS.rglob("*.py")) if path not in (HELPER, Path(__file__))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if CONNECTION.search(line)]
    assert not found, "read through tests/stored.py:\n" + "\n".join(found)
