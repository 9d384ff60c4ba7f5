"""The code passes its linter and its type checker, as configured in pyproject.toml.

``ruff check`` ([tool.ruff]: pycodestyle, pyflakes, import order, bugbear) and ``mypy``
([tool.mypy]: ordinary checking of bot/ and storage/, strict on the core and the storage
ports) run as their own command lines from this virtualenv, on this checkout, so the test command
(``python3 tasks.py test``, which CI runs) fails with their findings as they print them.

mypy keeps its cache in the virtualenv (one folder per checkout): a warm run reads it instead of
analysing every module again, and nothing is written into the source tree.
"""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MYPY_CACHE = Path(sys.prefix) / "mypy-cache" / hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False)


def test_ruff_finds_nothing_to_fix():
    checked = run("ruff", "check", "--no-cache", "--output-format", "concise", ".")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_mypy_finds_no_type_errors():
    checked = run("mypy", "--cache-dir", str(MYPY_CACHE))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Success" in checked.stdout  # it checked the files pyproject.toml names, not none
