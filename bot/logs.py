"""Logging for the bot's processes: one format, and libraries kept from logging what residents wrote.

``--log-level DEBUG`` is for staff chasing a problem, and must not turn the log into a copy of
residents' messages. Some libraries log whole requests at DEBUG; they are held at INFO (or
above) whatever level is asked for:

- ``aiosqlite`` logs every statement it runs with its parameters ("executing
  functools.partial(<execute>, 'INSERT …', ('the resident's text', …))") and every result;
- ``urllib3`` (under vk_api) logs every URL, and VK's long-poll URL carries its key;
- ``apscheduler`` reports every run of every job at INFO, so it is held at WARNING.

Two formats (``logging.format``, or ``--log-format``): ``text``, a line a person reads, and
``json``, one object per line for a log collector, written by python-json-logger: ``time`` (ISO
8601, UTC), ``level``, ``logger``, ``message``, ``exception`` (the traceback, when there is one)
and any ``extra=`` fields; Cyrillic is written as it is, not as ``\\u`` escapes. The same
loggers are held back in both.
"""
from __future__ import annotations

import logging

from pythonjsonlogger.json import JsonFormatter

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIETER = {"aiosqlite": logging.INFO, "urllib3": logging.INFO, "apscheduler": logging.WARNING}
FORMATS = ("text", "json")


def json_formatter() -> logging.Formatter:
    return JsonFormatter("{levelname}{name}{message}", style="{", timestamp="time", json_ensure_ascii=False,
                         rename_fields={"levelname": "level", "name": "logger", "exc_info": "exception"})


def configure_logging(level: str, format: str = "text") -> None:
    if format == "json":
        handler = logging.StreamHandler()
        handler.setFormatter(json_formatter())
        logging.basicConfig(level=level, handlers=[handler])
    else:
        logging.basicConfig(level=level, format=FORMAT)
    asked = logging.getLevelName(level)
    for name, least in QUIETER.items():
        logging.getLogger(name).setLevel(max(least, asked))
