"""What staff read is in Russian: every log message the code writes, read from the source.

A static scan with ``ast``: each call of a logger's ``debug`` … ``critical`` whose message is a
literal (or an f-string) must hold Cyrillic words. Names and placeholders may be Latin
(«вебхук Telegram», «%s»); a message of placeholders alone says nothing and passes.
"""
from __future__ import annotations

import ast
import re

from tests.drivers import ROOT

PACKAGES = ("bot", "channels", "broadcasts", "storage", "admin", "handlers")
LEVELS = {"debug", "info", "warning", "error", "exception", "critical"}
LOGGERS = {"log", "logger", "logging", "_log"}
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def _literal(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value for part in node.values if isinstance(part, ast.Constant))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):  # "a " "b" joined by +
        left, right = _literal(node.left), _literal(node.right)
        return None if left is None or right is None else left + right
    return None


def log_messages() -> list[tuple[str, int, str]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr in LEVELS and isinstance(node.func.value, ast.Name)
                        and node.func.value.id in LOGGERS and node.args):
                    text = _literal(node.args[0])
                    if text is not None:
                        found.append((str(path.relative_to(ROOT)), node.lineno, text))
    return found


def test_the_scan_finds_the_log_messages():
    messages = log_messages()
    assert len(messages) > 80  # the scan sees the code's logging, not nothing
    assert any("работает на порту" in text for _, _, text in messages)


def test_every_log_message_staff_read_is_in_russian():
    english = [f"{path}:{line}: {text}" for path, line, text in log_messages()
               if LATIN_WORD.search(re.sub(r"%[-.0-9]*[a-z]", "", text)) and not CYRILLIC.search(text)]
    assert english == []
