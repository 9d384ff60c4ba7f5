"""A flood of identical log lines writes a bounded number of lines, and says how many it held back."""
from __future__ import annotations

import io
import logging

from bot.cli import main
from bot.logfilter import RepeatFilter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def logger_into(stream: io.StringIO, repeat: RepeatFilter) -> logging.Logger:
    handler = logging.StreamHandler(stream)
    handler.addFilter(repeat)
    logger = logging.getLogger(f"test.flood.{id(stream)}")
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.INFO)
    return logger


def test_ten_thousand_identical_warnings_are_one_line_and_then_one_summary():
    clock, out = Clock(), io.StringIO()
    log = logger_into(out, RepeatFilter(60, clock=clock))
    for _ in range(10_000):
        log.warning("веб-чат: ответ 429 — слишком много %s", "сообщений")
    log.warning("другая строка")  # a different line is not held back
    assert out.getvalue().splitlines() == ["веб-чат: ответ 429 — слишком много сообщений", "другая строка"]
    clock.now += 61
    for _ in range(500):
        log.warning("веб-чат: ответ 429 — слишком много %s", "сообщений")
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and "ещё 9999 таких же строк за 60 с" in lines[2]


def test_a_window_of_zero_writes_every_line():
    out = io.StringIO()
    log = logger_into(out, RepeatFilter(0))
    for _ in range(5):
        log.error("одно и то же")
    assert len(out.getvalue().splitlines()) == 5


def test_the_command_line_installs_the_filter_on_the_log_it_configures(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("SOUCHASTIE_STORAGE_PATH", str(tmp_path / "bot.db"))
    root = logging.getLogger()
    before = {handler: list(handler.filters) for handler in root.handlers}
    try:
        assert main(["db", "upgrade"]) == 0  # configures logging as ``python -m bot run`` does
        caplog.clear()
        for _ in range(1000):
            logging.getLogger("bot.flood").warning("слишком много открытых файлов")
        assert len([r for r in caplog.records if r.name == "bot.flood"]) == 1
    finally:
        for handler, filters in before.items():
            handler.filters = filters
