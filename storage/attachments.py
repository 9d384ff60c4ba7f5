"""Files residents send (photos), kept on disk under their SHA-256 so a repeat costs nothing.

Only images are accepted, recognised by their first bytes rather than by what the client
claims, so that a renamed executable cannot be stored as a "photo".
"""
from __future__ import annotations

import asyncio
import hashlib
import uuid
from pathlib import Path
from typing import Iterable

SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
)


class NotAnImage(ValueError):
    pass


def sniff_image(data: bytes) -> tuple[str, str]:
    for magic, mime, extension in SIGNATURES:
        if data.startswith(magic):
            return mime, extension
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypmsf1"):
        return "image/heic", "heic"
    raise NotAnImage("not a JPEG, PNG, GIF, WebP or HEIC image")


class AttachmentStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    async def put_image(self, data: bytes) -> tuple[str, str]:
        """Store image bytes; return (file_key, mime_type). Raises ``NotAnImage``."""
        mime, extension = sniff_image(data)
        digest = hashlib.sha256(data).hexdigest()
        key = f"{digest[:2]}/{digest}.{extension}"
        await asyncio.to_thread(self._write, key, data)
        return key, mime

    def path_of(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("attachment key escapes the store")
        return path

    async def delete(self, keys: Iterable[str]) -> int:
        """Delete these files (ones already gone are skipped); how many were deleted. The caller
        has made sure nothing names them any more (``storage.file_references.still_named``)."""
        return await asyncio.to_thread(self._delete, list(keys))

    def _delete(self, keys: list[str]) -> int:
        deleted = 0
        for key in keys:
            try:
                self.path_of(key).unlink()
                deleted += 1
            except FileNotFoundError:
                pass
        return deleted

    def _write(self, key: str, data: bytes) -> None:
        path = self.path_of(key)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # A name of its own: two residents may send the same picture at the same moment.
        temporary = path.with_name(f"{path.name}.{uuid.uuid4().hex}.part")
        temporary.write_bytes(data)
        temporary.replace(path)
