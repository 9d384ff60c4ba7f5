"""Files residents send (photos), kept on disk under the SHA-256 of what is stored.

What is stored is never the bytes as sent: ``storage.images.clean_image`` checks the picture
from its header, refuses decompression bombs, and re-encodes it without metadata (GPS, device).
The store keeps the whole folder under a quota, and it can delete files that nothing refers to
any more (``remove_stale``), which the housekeeping job does after a grace period.

Writes and deletions of one store take one lock: a picture stored again while the cleaner looks
at its old copy either refreshes the copy's time before the cleaner's check (and it stays) or
finds it already gone and writes it anew, never a row pointing at a deleted file.
"""
from __future__ import annotations

import asyncio
import hashlib
import os
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Iterable

from storage.images import CleanImage, ImageTooLarge, NotAnImage, clean_image, sniff_image

__all__ = ["AttachmentStore", "ImageTooLarge", "NotAnImage", "QuotaExceeded", "KEY", "sniff_image"]

# The names this store gives its files; nothing else in the folder is ever deleted by it.
KEY = re.compile(r"[0-9a-f]{2}/[0-9a-f]{64}\.(?:jpg|png|webp)")
LEFT_BY_A_CRASH = re.compile(KEY.pattern + r"\.[0-9a-f]{32}\.part")  # a write cut short


class QuotaExceeded(OSError):
    """Storing this picture would take the folder over ``storage.attachments_quota_mb``."""


class AttachmentStore:
    def __init__(self, root: Path, quota_bytes: int | None = None, max_pixels: int = 50_000_000) -> None:
        self.root = Path(root)
        self.quota_bytes = quota_bytes
        self.max_pixels = max_pixels
        self._lock = threading.Lock()
        self._used: int | None = None  # bytes in the folder; counted on first use

    async def put_image(self, data: bytes) -> tuple[str, str]:
        """Store a cleaned copy of the picture; return (file_key, mime_type).
        Raises ``NotAnImage``, ``ImageTooLarge`` or ``QuotaExceeded``; nothing is written then."""
        return await asyncio.to_thread(self._put, data)

    def _put(self, data: bytes) -> tuple[str, str]:
        clean = clean_image(data, self.max_pixels)
        digest = hashlib.sha256(clean.data).hexdigest()
        key = f"{digest[:2]}/{digest}.{clean.extension}"
        self._write(key, clean)
        return key, clean.mime_type

    def path_of(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("attachment key escapes the store")
        return path

    def used_bytes(self) -> int:
        with self._lock:
            return self._usage()

    def stored_keys(self, older_than_seconds: float) -> list[str]:
        """Keys of this store's own files last written (or stored again) longer ago than given,
        and of writes a crash cut short (no row can refer to those)."""
        cutoff = time.time() - older_than_seconds
        found: list[str] = []
        if not self.root.is_dir():
            return found
        for path in self.root.glob("??/*"):
            key = f"{path.parent.name}/{path.name}"
            if (KEY.fullmatch(key) or LEFT_BY_A_CRASH.fullmatch(key)) and _modified(path) < cutoff:
                found.append(key)
        return found

    async def delete(self, keys: Iterable[str]) -> int:
        """Delete these files now, whatever their age (an erasure); how many were deleted. The
        caller has made sure nothing names them any more."""
        return await asyncio.to_thread(self._remove, list(keys), None)

    def remove_stale(self, keys: list[str], older_than_seconds: float) -> int:
        """Delete these files if they are still older than given (not stored again meanwhile)."""
        return self._remove(keys, older_than_seconds)

    def _remove(self, keys: list[str], older_than_seconds: float | None) -> int:
        removed = 0
        with self._lock:
            cutoff = None if older_than_seconds is None else time.time() - older_than_seconds
            for key in keys:
                path = self.path_of(key)
                try:
                    status = path.stat()
                    if cutoff is not None and status.st_mtime >= cutoff:
                        continue
                    path.unlink()
                except FileNotFoundError:
                    continue
                removed += 1
                if self._used is not None:
                    self._used -= status.st_size
        return removed

    def _write(self, key: str, clean: CleanImage) -> None:
        path = self.path_of(key)
        with self._lock:
            if path.exists():
                os.utime(path)  # stored again: a fresh grace period for the cleaner
                return
            used = self._usage()
            if self.quota_bytes is not None and used + len(clean.data) > self.quota_bytes:
                raise QuotaExceeded(f"the attachments folder holds {used} bytes; {len(clean.data)} more would "
                                    f"pass the quota of {self.quota_bytes}")
            path.parent.mkdir(parents=True, exist_ok=True)
            # A name of its own: another process (the panel's CLI) may write the same picture.
            temporary = path.with_name(f"{path.name}.{uuid.uuid4().hex}.part")
            temporary.write_bytes(clean.data)
            temporary.replace(path)
            self._used = used + len(clean.data)

    def _usage(self) -> int:
        if self._used is None:
            self._used = sum(_size(p) for p in self.root.rglob("*")) if self.root.is_dir() else 0
        return self._used


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return time.time()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size if path.is_file() else 0
    except FileNotFoundError:
        return 0
