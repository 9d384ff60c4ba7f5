"""A small read cache for what is read on every message and written rarely (content
definitions, what is open now). Writes in this process clear it at once; writes by another
process (the CLI loading a content file) show after at most ``ttl`` seconds."""
from __future__ import annotations

import time
from typing import Any, Hashable

MISSING = object()


class ReadCache:
    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._entries: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable) -> Any:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return MISSING
        return entry[1]

    def put(self, key: Hashable, value: Any) -> Any:
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self.ttl, value)
        return value

    def clear(self) -> None:
        self._entries.clear()
