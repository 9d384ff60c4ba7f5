"""``python -m bot db backup``: where the copy goes, what it is called, which old ones go, and
what staff are told.

The copy itself is SQLite's (storage/sqlite_backup.py, handed in by bot/cli.py). It is named by
the town's clock (``souchastie-2026-12-03_21-47-05.db``), because staff restoring "yesterday
evening's" copy think in the town's time. A backup holds residents' personal data, and an
erasure (/forget) cannot reach into copies made before it: so only the newest
``storage.backups_keep`` are kept, the older ones deleted after each backup that passed its
check (never before: a failed backup deletes nothing), and the README says so.

On PostgreSQL the engine's own tool makes the backup (pg_dump); this command says so instead of
copying a SQLite file that the bot no longer writes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Protocol

from bot.localtime import LocalTime
from bot.plurals import counted

PROPOSALS = ("предложение", "предложения", "предложений")
RESIDENTS = ("житель", "жителя", "жителей")
TIMES = ("раз", "раза", "раз")
STAMP = "%Y-%m-%d_%H-%M-%S"
STAMP_PATTERN = r"\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}"


class Copied(Protocol):
    """What the copier reports (storage.sqlite_backup.BackupResult), read-only."""

    @property
    def path(self) -> Path: ...
    @property
    def size_bytes(self) -> int: ...
    @property
    def restarts(self) -> int: ...
    @property
    def finished_in_one_step(self) -> bool: ...
    @property
    def proposals(self) -> int: ...
    @property
    def residents(self) -> int: ...


class BackupRefused(Exception):
    """The command cannot make a backup here; the message says why and what to do (Russian)."""


@dataclass(frozen=True)
class Backups:
    """The backups of one database file: their folder and how they are named."""

    folder: Path
    stem: str      # the database file's name without its suffix: "souchastie"
    suffix: str    # ".db"

    @classmethod
    def of(cls, database: Path, folder: Path) -> "Backups":
        return cls(folder=folder, stem=database.stem, suffix=database.suffix or ".db")

    def name_at(self, moment: datetime, clock: LocalTime) -> str:
        return f"{self.stem}-{moment.astimezone(clock.zone).strftime(STAMP)}{self.suffix}"

    def existing(self) -> list[Path]:
        """This database's backups in the folder, newest first; other files are never touched."""
        pattern = re.compile(re.escape(self.stem) + "-" + STAMP_PATTERN + re.escape(self.suffix))
        found = [path for path in self.folder.iterdir() if path.is_file() and pattern.fullmatch(path.name)] \
            if self.folder.is_dir() else []
        return sorted(found, key=lambda path: (path.stat().st_mtime, path.name), reverse=True)

    def remove_beyond(self, keep: int) -> list[Path]:
        """Delete all but the newest ``keep``; the deleted ones."""
        old = self.existing()[keep:]
        for path in old:
            path.unlink(missing_ok=True)
        return old


def refuse_postgresql(storage_url: object) -> None:
    """A database that is not a SQLite file is backed up by its own engine's tool. ``storage_url``
    is ``storage.url`` as configured: text, a secret (it may hold a password), or absent (None)."""
    reveal = getattr(storage_url, "get_secret_value", None)
    url = reveal() if callable(reveal) else str(storage_url or "")
    if url.startswith(("postgresql:", "postgres:")):
        raise BackupRefused(
            "хранилище — PostgreSQL (storage.url), а эта команда копирует только файл SQLite. "
            "Резервную копию PostgreSQL снимает pg_dump, например: "
            "pg_dump --format=custom --file=souchastie-$(date +%F_%H-%M).dump \"$SOUCHASTIE_STORAGE_URL\" "
            "(восстановление: pg_restore --dbname=… файл); храните копии так же бережно и так же "
            "недолго, как копии SQLite")


def target_for(to: Path | None, backups: Backups, moment: datetime, clock: LocalTime) -> Path:
    """``--to`` as given (a folder: the default name inside it), else the default folder and name."""
    if to is None:
        return backups.folder / backups.name_at(moment, clock)
    if to.is_dir():
        return to / backups.name_at(moment, clock)
    return to


def make_backup(database: Path, target: Path, keep: int, copy: Callable[[Path, Path], Copied]) -> list[str]:
    """Copy, then rotate the folder the copy went to; the lines staff read."""
    copied = copy(database, target)
    removed = Backups.of(database, target.parent).remove_beyond(keep)
    return report(copied, removed, keep)


def report(copied: Copied, removed: list[Path], keep: int) -> list[str]:
    started_over = f"копирование начиналось заново {counted(copied.restarts, TIMES)}"
    how = (f"бот писал в базу: {started_over}, остаток скопирован одним шагом" if copied.finished_in_one_step
           else "снята по шагам" + (f", {started_over}" if copied.restarts else ""))
    lines = [f"Резервная копия готова: {copied.path}",
             f"  размер: {megabytes(copied.size_bytes)}",
             "  проверка целостности (PRAGMA integrity_check): ok",
             f"  в копии: {counted(copied.proposals, PROPOSALS)}, {counted(copied.residents, RESIDENTS)}",
             f"  {how}"]
    if removed:
        lines.append(f"Удалено старых копий: {len(removed)} (храним последних: {keep}): "
                     + ", ".join(path.name for path in removed))
    lines.append("В копии — персональные данные жителей: храните её как саму базу; удаление жителя "
                 "(/forget) не достаёт до копий, снятых раньше.")
    return lines


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} МиБ".replace(".", ",")
