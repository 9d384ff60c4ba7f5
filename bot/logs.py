"""Logging for the bot's processes: one format, and libraries kept from logging what residents wrote.

``--log-level DEBUG`` is for staff chasing a problem, and must not turn the log into a copy of
residents' messages. Some libraries log whole requests at DEBUG; they are held at INFO (or
above) whatever level is asked for:

- ``aiosqlite`` logs every statement it runs with its parameters ("executing
  functools.partial(<execute>, 'INSERT …', ('the resident's text', …))") and every result;
- ``urllib3`` (under vk_api) logs every URL, and VK's long-poll URL carries its key;
- ``apscheduler`` reports every run of every job at INFO, so it is held at WARNING.
"""
from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIETER = {"aiosqlite": logging.INFO, "urllib3": logging.INFO, "apscheduler": logging.WARNING}


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format=FORMAT)
    asked = logging.getLevelName(level)
    for name, least in QUIETER.items():
        logging.getLogger(name).setLevel(max(least, asked))
