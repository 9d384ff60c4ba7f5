"""Timestamps as stored: ISO 8601 in UTC, so that text order is time order."""
from datetime import datetime, timezone


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")
