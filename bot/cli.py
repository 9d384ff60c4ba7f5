"""``python -m bot``: run the bot, or look after its database.

    python -m bot run                 start every configured channel and the web server
    python -m bot db upgrade          apply database migrations and exit
    python -m bot db backup [--to P]  an online, checked copy of the SQLite database (bot/backup.py)
    python -m bot content load FILE   check a content file (polls, quizzes, surveys, contests, series), store it
    python -m bot contests approve N  show contest work N to everyone and let it be voted for
                                      (reject N --reason R: never; results KEY: to subscribers)
    python -m bot admin create USER --role ROLE   a staff panel account (password from stdin)
    python -m bot export FORMAT       proposals (or --kind survey:KEY) to csv, xlsx, geojson or json
    python -m bot broadcast create --text-ru T [--topic T] [--channel C] [--at TIME] [--dry-run] [--yes]
                                      count, ask, then store a broadcast (also: list, status,
                                      watch, pause, resume, cancel, preview ID)
    python -m bot --config PATH …     use another configuration file (default ./config.yaml)

Every setting can also be given in the environment: SOUCHASTIE_<SECTION>_<KEY> (see README).
Staff read every word in Russian: argparse's own through ``bot.argparse_ru``; a value that names
nothing (``--category treee``, ``--poll nosuch``) is an error naming what is allowed, exit code 2,
before anything is written (``bot.cli_values``). Only ``run`` needs the messengers' tokens.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Awaitable, Mapping

from bot.argparse_ru import russian_argparse
from bot.cli_values import UnknownValue
from bot.collector import tune_collector
from bot.config import ConfigError, Settings, check_runnable, load_settings
from bot.core.plugins import Command, OpenDatabase
from bot.limits import raise_open_files_limit
from bot.logfilter import install_repeat_filter
from bot.logs import configure_logging
from bot.plurals import counted

DEFAULT_CONFIG = Path("config.yaml")


def feature_commands() -> dict[str, Command]:
    """The staff commands the features register (contests, admin, export, broadcast, …), by name."""
    from bot.app import registered_features

    return {command.name: command for feature in registered_features() for command in feature.commands}


def build_parser(registered: Mapping[str, Command] | None = None) -> argparse.ArgumentParser:
    """Every command's options: the application's own, then the features' (``registered``, by
    default every registered feature's); build and use it inside ``russian_argparse()``."""
    parser = argparse.ArgumentParser(prog="python -m bot",
                                     description="«Участие»: бот для соучаствующего проектирования.",
                                     epilog="Любую настройку можно задать переменной SOUCHASTIE_<РАЗДЕЛ>_<КЛЮЧ>.")
    parser.add_argument("--config", type=Path, default=None, metavar="ФАЙЛ",
                        help="файл настроек (по умолчанию $SOUCHASTIE_CONFIG или ./config.yaml)")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                        help="подробность журнала (по умолчанию INFO)")
    parser.add_argument("--log-format", default=None, choices=["text", "json"],
                        help="строки журнала: text — для чтения, json — объект JSON в строке "
                             "(по умолчанию logging.format из настроек, там text)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="КОМАНДА")
    commands.add_parser("run", help="запустить бота: веб-чат, панель сотрудников и включённые мессенджеры")
    database = commands.add_parser("db", help="обслуживание базы данных")
    database_actions = database.add_subparsers(dest="action", required=True, metavar="ДЕЙСТВИЕ")
    database_actions.add_parser("upgrade", help="применить новые миграции")
    backup = database_actions.add_parser("backup", help="резервная копия SQLite, пока бот работает, с проверкой")
    backup.add_argument("--to", type=Path, default=None, metavar="ПУТЬ",
                        help="файл или папка копии (по умолчанию storage.backups_dir, имя — дата и время города)")
    copy = database_actions.add_parser(
        "copy", help="перенести кампанию из SQLite (storage.path) в пустую базу PostgreSQL")
    copy.add_argument("--to", default=None, metavar="URL",
                      help="postgresql://…; по умолчанию SOUCHASTIE_STORAGE_URL (лучше он: адрес с паролем"
                           " в командной строке виден другим пользователям машины)")
    content = commands.add_parser("content", help="голосования, викторины, опросы и конкурсы")
    content.add_argument("action", choices=["load"], help="load: проверить файл и сохранить его")
    content.add_argument("file", type=Path, metavar="ФАЙЛ", help="файл с содержанием (YAML)")
    for command in (feature_commands() if registered is None else registered).values():
        command.add_parser(commands)
    return parser


def settings_from(arguments: argparse.Namespace) -> Settings:
    """A file named by --config or SOUCHASTIE_CONFIG must exist; only the default one may be
    absent, and then the embedded defaults (the same values) are used."""
    named = arguments.config or os.environ.get("SOUCHASTIE_CONFIG") or None
    if named is None and not DEFAULT_CONFIG.exists():
        return load_settings(None)
    return load_settings(Path(named) if named is not None else DEFAULT_CONFIG)


def database_opener(settings: Settings) -> OpenDatabase:
    """Opens the configured database, migrated to this release: what a feature's command is
    handed, so that it names no storage implementation."""
    from storage.open import open_database as opening
    from storage.ports.repositories import Database

    def open_database() -> Awaitable[Database]:
        return opening(settings.storage.choice())

    return open_database


async def upgrade_database(settings: Settings) -> list[str]:
    from storage.open import upgrade

    return await upgrade(settings.storage.choice())


async def load_content_file(settings: Settings, path: Path) -> list[tuple[int, tuple[str, str, str]]]:
    """Check the whole file first; store it in one transaction, so a bad file changes nothing.
    What was stored: how many of each registered section, with the words to count them in."""
    from bot.content import counts, load_content, storable, storable_series

    content = load_content(path, topics={topic.key for topic in settings.subscriptions.topics},
                           time_zone=settings.project.time_zone)
    db = await database_opener(settings)()
    try:
        async with db.transaction() as tx:
            await tx.content.store(storable(content))
            await tx.episodes.store(storable_series(content))
    finally:
        await db.close()
    return counts(content)


def backup_database(settings: Settings, to: Path | None) -> int:
    """``db backup``: SQLite's online copy (storage.sqlite_backup), checked, named and rotated
    (bot.backup); on PostgreSQL, where pg_dump does it, an explanation instead."""
    from datetime import datetime, timezone
    from functools import partial

    from bot.backup import BackupRefused, Backups, make_backup, refuse_postgresql, target_for
    from storage.sqlite_backup import BackupError, back_up

    storage = settings.storage
    try:
        refuse_postgresql(getattr(storage, "url", None))   # storage.url: the PostgreSQL backend's setting
        target = target_for(to, Backups.of(storage.path, storage.backups_folder), datetime.now(timezone.utc),
                            settings.project.clock)
        copy = partial(back_up, step_pages=storage.backup_step_pages, pause_seconds=storage.backup_pause_seconds,
                       restarts=storage.backup_restarts, busy_timeout_ms=storage.busy_timeout_ms)
        lines = make_backup(storage.path, target, storage.backups_keep, copy)
    except (BackupRefused, BackupError) as error:
        print(f"Резервная копия не снята: {error}", file=sys.stderr)
        return 2 if isinstance(error, BackupRefused) else 1
    print("\n".join(lines))
    return 0


def copy_database(settings: Settings, to: str | None) -> int:
    """``db copy``: the SQLite campaign (brought up to this release first) into an empty
    PostgreSQL database (storage.postgres.copy), with the bot stopped: what it would write
    meanwhile would be left behind."""
    from bot.running import bot_running
    from storage.open import StorageUnavailable, check_url, describe
    from storage.postgres.copy import CopyRefused, copy_to_postgresql

    url = to or settings.storage.choice().url
    source = settings.storage.path
    if not url:
        print("Не указано, куда копировать: задайте --to postgresql://… или SOUCHASTIE_STORAGE_URL", file=sys.stderr)
        return 2
    if not source.exists():
        print(f"Нечего копировать: базы SQLite {source} (storage.path) нет", file=sys.stderr)
        return 2
    if bot_running(source):
        print(f"Бот работает на {source}: остановите его, иначе то, что он запишет во время копирования,"
              " останется только в SQLite", file=sys.stderr)
        return 2
    try:
        check_url(url)
        asyncio.run(upgrade_database(settings.model_copy(update={"storage": settings.storage.model_copy(
            update={"url": None})})))
        copied = asyncio.run(copy_to_postgresql(source, url, lambda table, rows: print(
            f"  {table}: {rows}", flush=True)))
    except (StorageUnavailable, CopyRefused) as error:
        print(f"Копирование не выполнено, в PostgreSQL ничего не записано: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # the server went away half-way: the transaction is rolled back
        print(f"Копирование прервано, в PostgreSQL ничего не записано: {error}", file=sys.stderr)
        return 1
    rows = sum(count for _, count in copied)
    print(f"Скопировано в {describe(url)}: {counted(len(copied), ('таблица', 'таблицы', 'таблиц'))}, "
          f"{counted(rows, ('строка', 'строки', 'строк'))}. Чтобы бот работал с PostgreSQL, задайте"
          " SOUCHASTIE_STORAGE_URL; файл SQLite остаётся как был.")
    return 0


def main(argv: list[str] | None = None) -> int:
    with russian_argparse():
        parser = build_parser()
        arguments = parser.parse_args(argv)
    try:
        settings = settings_from(arguments)
    except ConfigError as error:
        print(f"Ошибка в настройках: {error}", file=sys.stderr)
        return 2
    log_format = arguments.log_format or settings.logging.format
    configure_logging(arguments.log_level, log_format)
    install_repeat_filter(settings.server.log_repeat_seconds)
    if arguments.command == "run":
        return run_bot(settings, announce=log_format == "text")
    from storage.open import StorageUnavailable

    try:
        return staff_command(settings, arguments)
    except StorageUnavailable as error:
        print(f"База данных не открылась: {error}; ничего не изменено", file=sys.stderr)
        return 1
    except UnknownValue as error:
        action = getattr(arguments, "broadcast_action", None) or getattr(arguments, "action", None) or ""
        print(f"{parser.prog} {arguments.command} {action}".rstrip() + f": ошибка: {error}; ничего не изменено",
              file=sys.stderr)
        return 2


def staff_command(settings: Settings, arguments: argparse.Namespace) -> int:
    """A command staff run beside the bot; a value that names nothing known raises UnknownValue."""
    if arguments.command == "db" and arguments.action == "backup":
        return backup_database(settings, arguments.to)
    if arguments.command == "db" and arguments.action == "copy":
        return copy_database(settings, arguments.to)
    if arguments.command == "db":
        applied = asyncio.run(upgrade_database(settings))
        print("Применены миграции: " + ", ".join(applied) if applied else "База данных уже обновлена")
        return 0
    if arguments.command == "content":
        from bot.content import ContentError

        try:
            stored = asyncio.run(load_content_file(settings, arguments.file))
        except ContentError as error:
            print(f"Файл не загружен, ничего не изменено:\n{error}", file=sys.stderr)
            return 2
        print("Загружено: " + ", ".join(counted(count, words) for count, words in stored))
        return 0
    return feature_commands()[arguments.command].run(settings, arguments, database_opener(settings))


def run_bot(settings: Settings, announce: bool = True) -> int:
    from bot.app import StartupError, serve

    try:
        check_runnable(settings)
    except ConfigError as error:
        print(f"Ошибка в настройках: {error}", file=sys.stderr)
        return 2
    raise_open_files_limit(settings.server.open_files)
    tune_collector()
    try:
        asyncio.run(serve(settings, announce))
    except StartupError as error:
        print(f"Бот не запущен: {error}", file=sys.stderr)
        return 1
    return 0
