"""Whether a bot is running on a database: a lock the running bot holds on a file beside it.

``python -m bot run`` holds an exclusive ``flock`` on ``<database>.running`` while it runs. The
kernel drops a flock when its process ends, however it ends — SIGKILL, a crash, a power cut
(then the process is gone too) — so, unlike a pid file or a heartbeat row, the mark cannot
outlive the bot or say a dead bot runs, and needs no clock. A command (``broadcast watch``)
asks with a non-blocking try of the same lock: taken means running. The file itself stays
and says nothing; it is only what the lock is on.
"""
from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)


def mark_path(database: Path) -> Path:
    return Path(f"{database}.running")


class RunningMark:
    """Held by the running bot from the moment its database is open until it stops."""

    def __init__(self, database: Path) -> None:
        self.path = mark_path(database)
        self._fd: int | None = None

    def hold(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)  # on PostgreSQL no database file made the folder
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            # Several processes on one database are a cluster (bot/leadership.py shares the work).
            log.info("на базе %s уже работает другой процесс бота (файл %s занят); работаем вместе",
                     self.path.with_suffix(""), self.path)
            return
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the last descriptor drops the lock
            self._fd = None


def bot_running(database: Path) -> bool:
    """Whether some process holds the running mark of this database now."""
    try:
        fd = os.open(mark_path(database), os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also drops the shared lock when it was taken
    return False
