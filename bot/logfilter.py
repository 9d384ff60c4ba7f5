"""Identical log lines, repeated in a flood, written once and then counted.

When something keeps failing the same way (a thousand long polls refused, the same broken
request sent in a loop), a line per occurrence says nothing new and fills the disk: the issue
that brought this saw the log grow 71 MB in 25 seconds. The first occurrence of a line is
written; repeats within ``window`` seconds are only counted; the first occurrence after the
window is written with the count of what was held back. Lines are told apart by logger,
level and text; only the most recent ``MAX_LINES`` distinct lines are remembered.
"""
from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Callable

MAX_LINES = 1000


class RepeatFilter(logging.Filter):
    def __init__(self, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.window = window
        self.clock = clock
        self._seen: OrderedDict[tuple[str, int, str], list[float | int]] = OrderedDict()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.window <= 0:
            return True
        key = (record.name, record.levelno, record.getMessage())
        now = self.clock()
        seen = self._seen.get(key)
        if seen is not None and now - seen[0] < self.window:
            seen[1] += 1
            return False
        held_back = int(seen[1]) if seen is not None else 0
        self._seen[key] = [now, 0]
        self._seen.move_to_end(key)
        while len(self._seen) > MAX_LINES:
            self._seen.popitem(last=False)
        if held_back:
            record.msg = f"{record.getMessage()} (ещё {held_back} таких же строк за {self.window:g} с не записаны)"
            record.args = None
        return True


def install_repeat_filter(window: float) -> None:
    """Put a filter on every handler of the root logger (a logger's own filter would not see the
    records of its children), one each: every handler sees every record and counts it.
    Call after logging is configured."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(RepeatFilter(window))
