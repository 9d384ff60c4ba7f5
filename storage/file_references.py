"""Which stored files something in the database still names.

Files are kept under the SHA-256 of their bytes, so two residents who send the same picture share
one file: a file may be deleted only when nothing names it any more. A file key is named as a
column of its own (a proposal's photo, a contest work) or inside JSON (a survey's photo answer, a
draft in a conversation's state, an event or a reply waiting in the inbox or outbox, a
broadcast's or an episode's media, a content definition).
"""
from __future__ import annotations

import re
from typing import Iterable

import aiosqlite

# What AttachmentStore.put_image makes: "ab/<sha-256>.<extension>".
FILE_KEY = re.compile(r"[0-9a-f]{2}/[0-9a-f]{64}\.[a-z0-9]{2,5}")

NAMED_BY_COLUMN = (("proposal_attachments", "file_key"), ("contest_entries", "file_key"))
NAMED_INSIDE = (("survey_responses", "answers"), ("residents", "state_data"), ("inbox", "payload"),
                ("outbox", "payload"), ("broadcasts", "media"), ("episodes", "definition"),
                ("polls", "definition"), ("surveys", "definition"), ("contests", "definition"),
                ("quizzes", "definition"))


def keys_in(*texts: str | None) -> set[str]:
    """The file keys that occur in these texts (JSON or not)."""
    return {key for text in texts if text for key in FILE_KEY.findall(text)}


async def still_named(db: aiosqlite.Connection, keys: Iterable[str]) -> set[str]:
    """Those of ``keys`` that some row still names."""
    named = set()
    for key in set(keys):
        checks = [f"SELECT 1 FROM {table} WHERE {column} = :key" for table, column in NAMED_BY_COLUMN]
        checks += [f"SELECT 1 FROM {table} WHERE instr({column}, :key) > 0" for table, column in NAMED_INSIDE]
        rows = await db.execute_fetchall(f"SELECT EXISTS ({' UNION ALL '.join(checks)})", {"key": key})
        if rows[0][0]:
            named.add(key)
    return named
