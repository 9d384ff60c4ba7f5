"""Photo uploads held in memory for the one request that brought them.

The web chat's API never writes an upload to disk itself: it stages the bytes here under a
random id and hands the core a ``Photo(remote_id=id)``, as any messenger hands a platform's file
id. The dispatcher's photo gate decides whether the photo is fetched (``WebChatChannel.download``
takes it from here) and stored; whatever happens, the request drops its bytes when it ends.
Room is reserved before a body is read, so all uploads being received at once stay under
``webchat.uploads_in_memory_mb``.
"""
from __future__ import annotations

import secrets
from contextlib import contextmanager
from typing import Iterator


class NoRoom(Exception):
    """Too many upload bytes are being received at once; the client should try again shortly."""


class StagedUploads:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.reserved = 0
        self._held: dict[str, bytes] = {}

    @contextmanager
    def room(self, size: int) -> Iterator[None]:
        """Reserve ``size`` bytes for one upload while it is received and handled."""
        if self.reserved + size > self.max_bytes:
            raise NoRoom(f"{self.reserved} of {self.max_bytes} bytes are taken by uploads in progress")
        self.reserved += size
        try:
            yield
        finally:
            self.reserved -= size

    @contextmanager
    def staged(self, data: bytes) -> Iterator[str]:
        """Hold ``data`` under a new random id for the duration of the ``with`` block."""
        staged_id = secrets.token_hex(16)
        self._held[staged_id] = data
        try:
            yield staged_id
        finally:
            self._held.pop(staged_id, None)

    def take(self, staged_id: str) -> bytes | None:
        """The staged bytes (once): the photo gate has decided to store them."""
        return self._held.pop(staged_id, None)

    def __len__(self) -> int:
        return len(self._held)
