"""Which stored files something still refers to: what the cleaner and an erasure must keep.

Files are kept under the SHA-256 of their cleaned bytes, so two residents who send the same
picture share one file: a file may be deleted only when nothing refers to it any more. A key can
sit in a column of its own (proposal photos, contest works) or inside JSON (a survey's photo
answer, an unfinished draft in a resident's conversation state, a broadcast's, an episode's or a
content definition's media, a reply not yet read, an event not yet processed). Rather than know
every JSON shape, the texts that can hold a key are read and every key-shaped string in them
counts: keeping a file by mistake costs a few kilobytes, deleting one by mistake loses a photo.

All of it is read by one statement, so from one snapshot: a draft confirmed meanwhile moves its
photos from the resident's state to the proposal in one transaction, and is seen in one place
or the other, never in neither.
"""
from __future__ import annotations

import re
from typing import Iterable

from storage.sql import SqlConnection

# Any key the store ever made ("ab/<sha-256>.<extension>", older extensions included).
FILE_KEY = re.compile(r"[0-9a-f]{2}/[0-9a-f]{64}\.[a-z0-9]{2,5}")
# The same inside JSON, which may escape the slash as "\/".
_KEY_IN_TEXT = re.compile(r"([0-9a-f]{2})\\?/([0-9a-f]{64}\.[a-z0-9]{2,5})")

# Only texts with something key-shaped in them are read.
_REFERENCES = " UNION ALL ".join((
    "SELECT file_key FROM proposal_attachments",
    "SELECT file_key FROM contest_entries WHERE file_key != ''",
    "SELECT answers FROM survey_responses WHERE answers LIKE '%/%'",
    "SELECT state_data FROM residents WHERE state_data LIKE '%/%'",
    "SELECT definition FROM episodes WHERE definition LIKE '%file_key%'",
    "SELECT definition FROM content_items WHERE definition LIKE '%file_key%'",
    "SELECT media FROM broadcasts WHERE media LIKE '%file_key%'",
    "SELECT payload FROM outbox WHERE payload LIKE '%\"file_key\":\"_%'",
    "SELECT payload FROM inbox WHERE payload LIKE '%\"file_key\":\"_%'",
))


def keys_in(*texts: str | None) -> set[str]:
    """The file keys that occur in these texts (JSON or not)."""
    return {f"{a}/{b}" for text in texts if text for a, b in _KEY_IN_TEXT.findall(text)}


class AttachmentReferences:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    async def keys(self) -> set[str]:
        """Every file key some row refers to."""
        found: set[str] = set()
        async for (text,) in await self._db.execute(_REFERENCES):
            found |= keys_in(text)
        return found

    async def still_named(self, keys: Iterable[str]) -> set[str]:
        """Those of ``keys`` that some row still refers to."""
        return set(keys) & await self.keys()
