"""Which stored files something still refers to: what the attachment cleaner must keep.

A file key can sit in a column of its own (proposal photos, contest works) or inside JSON (a
survey's photo answer, an unfinished draft in a resident's conversation state, a broadcast's or
an episode's media, a reply not yet read, an event not yet processed). Rather than know every
JSON shape, the texts that can hold a key are read and every key-shaped string in them counts:
keeping a file by mistake costs a few kilobytes, deleting one by mistake loses a photo.

All of it is read by one statement, so from one snapshot: a draft confirmed meanwhile moves its
photos from the resident's state to the proposal in one transaction, and is seen in one place
or the other, never in neither.
"""
from __future__ import annotations

import re

import aiosqlite

# The store's own names (storage.attachments.KEY); JSON may escape the slash as "\/".
_KEY_IN_TEXT = re.compile(r"([0-9a-f]{2})\\?/([0-9a-f]{64}\.(?:jpg|png|webp))")

# Only texts with something key-shaped in them are read.
_REFERENCES = " UNION ALL ".join((
    "SELECT file_key FROM proposal_attachments",
    "SELECT file_key FROM contest_entries WHERE file_key != ''",
    "SELECT answers FROM survey_responses WHERE answers LIKE '%/%'",
    "SELECT state_data FROM residents WHERE state_data LIKE '%/%'",
    "SELECT definition FROM episodes WHERE definition LIKE '%file_key%'",
    "SELECT media FROM broadcasts WHERE media LIKE '%file_key%'",
    "SELECT payload FROM outbox WHERE payload LIKE '%\"file_key\":\"_%'",
    "SELECT payload FROM inbox WHERE processed_at IS NULL AND payload LIKE '%\"file_key\":\"_%'",
))


class AttachmentReferences:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    async def keys(self) -> set[str]:
        """Every file key some row refers to."""
        found: set[str] = set()
        async with self._db.execute(_REFERENCES) as cursor:
            async for (text,) in cursor:
                found.update(f"{a}/{b}" for a, b in _KEY_IN_TEXT.findall(text or ""))
        return found
