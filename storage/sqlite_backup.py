"""An online copy of the SQLite database while the bot writes to it, and the check of the copy.

SQLite's backup API (``sqlite3.Connection.backup``) copies the database page by page. Each step
takes a read lock only while it runs, so the steps are kept short (``step_pages``) with a pause
between them (``pause_seconds``), and the bot's writer is never kept waiting for long. The
catch, in SQLite's own documentation of ``sqlite3_backup_step``: a write by any other connection
(the running bot is another process) makes the next step start the copy over, so under a steady
stream of messages a paged copy may never finish. After ``restarts`` such new starts the rest is
copied in one step: one read transaction, a consistent snapshot that in WAL mode (the bot's
journal mode, storage/database.py) does not block the writer either; it only holds the
write-ahead log from being checkpointed until the copy is done.

The copy is written to a temporary file beside the target and renamed into place only after it
passed ``PRAGMA integrity_check``, so a file with the backup's name is always a whole, checked
database.
"""
from __future__ import annotations

import os
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


class BackupError(Exception):
    """The copy could not be made or did not pass the check; the message is for staff (Russian)."""


class _StartOver(Exception):
    """Raised from the progress callback to leave a paged copy that keeps being started over."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size_bytes: int
    pages: int
    restarts: int          # how often the bot's writes made the paged copy start over
    finished_in_one_step: bool
    proposals: int
    residents: int


def back_up(source: Path, target: Path, *, step_pages: int, pause_seconds: float, restarts: int,
            busy_timeout_ms: int, pause: Callable[[float], None] = time.sleep) -> BackupResult:
    """Copy ``source`` into ``target`` (which must not exist) while other processes write to it;
    check the copy and count what it holds. Blocking: run it in a thread or a command. ``pause``
    is how the time between two steps is spent (a test writes to the database there, as the bot does)."""
    if not source.is_file():
        raise BackupError(f"базы данных нет: {source}")
    if target.exists():
        raise BackupError(f"файл уже есть, не перезаписываю: {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        pages, started_over, in_one_step = _copy(source, partial, step_pages, restarts, busy_timeout_ms,
                                                 lambda: pause(pause_seconds))
        proposals, residents = _check(partial)
        os.replace(partial, target)
    except sqlite3.Error as error:
        raise BackupError(f"копия не снята: {error}") from error
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(path=target, size_bytes=target.stat().st_size, pages=pages, restarts=started_over,
                        finished_in_one_step=in_one_step, proposals=proposals, residents=residents)


def _copy(source: Path, target: Path, step_pages: int, restarts: int, busy_timeout_ms: int,
          pause: Callable[[], None]) -> tuple[int, int, bool]:
    """The paged copy, then (after ``restarts`` new starts) the rest in one step: the number of
    pages copied, how often the copy started over, and whether the last step took the rest."""
    started_over = 0
    last_remaining: int | None = None
    pages = 0

    def progress(status: int, remaining: int, total: int) -> None:
        nonlocal started_over, last_remaining, pages
        pages = total
        if last_remaining is not None and remaining >= last_remaining:
            started_over += 1   # the bot wrote: SQLite began the copy again from the first page
            if started_over > restarts:
                raise _StartOver
        last_remaining = remaining
        if remaining:
            pause()   # the bot's writer gets the database between two steps

    # Read-only and by URI, so that a missing file is an error here, not a new empty database.
    with closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as reader, \
            closing(sqlite3.connect(target)) as writer:
        reader.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        try:
            reader.backup(writer, pages=step_pages, progress=progress)
            in_one_step = False
        except _StartOver:
            reader.backup(writer, pages=-1, progress=progress)
            in_one_step = True
        # The copy would be in WAL mode like the bot's database, and opening it would leave -wal
        # and -shm files beside it: a backup is one self-contained file.
        writer.execute("PRAGMA journal_mode=DELETE")
    return pages, started_over, in_one_step


def _check(path: Path) -> tuple[int, int]:
    """``PRAGMA integrity_check`` on the copy, then the proposals and residents it holds."""
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as copy:
        problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError("копия не прошла проверку целостности: " + "; ".join(problems[:5]))
        (proposals,) = copy.execute("SELECT count(*) FROM proposals").fetchone()
        (residents,) = copy.execute("SELECT count(*) FROM residents").fetchone()
    return proposals, residents
