"""Which stored files the database still names."""
from __future__ import annotations

from typing import Iterable, Protocol


class AttachmentReferenceStore(Protocol):
    """What AttachmentReferences offers (storage/attachment_references.py is the SQLite one)."""

    async def keys(self) -> set[str]:
        """Every file key some row refers to."""

    async def still_named(self, keys: Iterable[str]) -> set[str]:
        """Those of ``keys`` that some row still refers to."""
