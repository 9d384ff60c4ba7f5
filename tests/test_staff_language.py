"""What staff read is in Russian: every log message the code writes, read from the source.

A static scan with ``ast``: each call of a logger's ``debug`` … ``critical`` whose message is a
literal (or an f-string) must hold Cyrillic words. Names and placeholders may be Latin
(«вебхук Telegram», «%s»); a message of placeholders alone says nothing and passes.
"""
from __future__ import annotations

import ast
import re

import pytest

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


def test_a_bad_setting_is_explained_in_russian(tmp_path):
    from bot.config import ConfigError, load_settings

    config = tmp_path / "config.yaml"
    config.write_text("server:\n  port: lots\nproposals:\n  max_photoz: 3\n  max_photos: 11\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(config, {})
    assert str(refused.value) == (f"{config}: server.port: нужно целое число; proposals.max_photos: должно быть"
                                  " не больше 10; proposals.max_photoz: такого поля нет (опечатка?)")


def test_a_bad_content_file_is_explained_in_russian(tmp_path):
    from bot.content import ContentError, load_content

    bad = tmp_path / "bad.yaml"
    bad.write_text((ROOT / "content" / "campaign.yaml").read_text(encoding="utf-8")
                   .replace("kind: multiple", "kind: many").replace("  - key: territory\n", "  - kee: territory\n"),
                   encoding="utf-8")
    with pytest.raises(ContentError) as refused:
        load_content(bad)
    lines = str(refused.value).splitlines()
    at = next(number for number, line in enumerate(bad.read_text(encoding="utf-8").splitlines(), 1)
              if "kee: territory" in line)
    assert f"{bad}:{at}: polls[0].key: обязательное поле, его нет" in lines
    assert f"{bad}:{at}: polls[0].kee: такого поля нет (опечатка?)" in lines
    assert any(line.startswith(f"{bad}:") and "polls[2].kind: можно: 'single', 'multiple', 'scores' или 'top3'" in line
               for line in lines)
