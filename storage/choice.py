"""Which database to open, as plain values: what the settings say (bot/config.py builds it) and
``storage.open.open_database`` reads. Kept apart from storage/open.py, which imports the engines,
so that the settings name no storage implementation."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class StorageChoice:
    """What ``open_database`` needs of the settings (``storage`` section)."""

    path: Path
    url: str = field(default="", repr=False)  # holds the password: never in a repr or a log
    busy_timeout_ms: int = 5000
    synchronous: str = "normal"
    pool_size: int = 10
    connect_timeout_seconds: float = 10.0
