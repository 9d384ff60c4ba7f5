"""``python -m bot``: run the bot, or look after its database.

    python -m bot run                 start every configured channel and the web server
    python -m bot db upgrade          apply database migrations and exit
    python -m bot content load FILE   check a content file (polls, quizzes, surveys, contests, series), store it
    python -m bot contests approve N  show contest work N to everyone and let it be voted for
                                      (reject N --reason R: never; results KEY: to subscribers)
    python -m bot admin create USER --role ROLE   a staff panel account (password from stdin)
    python -m bot export FORMAT       proposals (or --kind survey:KEY) to csv, xlsx, geojson or json
    python -m bot broadcast create --text-ru T [--topic T] [--channel C] [--at TIME] [--dry-run]
                                      count, then store a broadcast (also: list, status, watch,
                                      pause, resume, cancel, preview ID)
    python -m bot --config PATH …     use another configuration file (default ./config.yaml)

Every setting can also be given in the environment: SOUCHASTIE_<SECTION>_<KEY> (see README).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings
from bot.limits import raise_open_files_limit
from bot.logfilter import install_repeat_filter
from bot.logs import configure_logging

DEFAULT_CONFIG = Path("config.yaml")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Souchastie: the participation bot.",
                                     epilog="Settings can be overridden by SOUCHASTIE_<SECTION>_<KEY> variables.")
    parser.add_argument("--config", type=Path, default=None,
                        help="configuration file (default: $SOUCHASTIE_CONFIG or ./config.yaml)")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run the bot: web chat, staff panel and configured messengers")
    database = commands.add_parser("db", help="database maintenance")
    database.add_argument("action", choices=["upgrade"], help="upgrade: apply pending migrations")
    content = commands.add_parser("content", help="polls, quizzes, surveys and contests")
    content.add_argument("action", choices=["load"], help="load: check a content file and store it")
    content.add_argument("file", type=Path, help="the content file (YAML)")
    from bot import contest_command

    contest_command.add_parser(commands)
    from admin import cli as admin_cli

    admin_cli.add_parser(commands)
    from admin import export_command

    export_command.add_parser(commands)
    from broadcasts import cli as broadcast_cli

    broadcast_cli.add_parser(commands)
    return parser


def settings_from(arguments: argparse.Namespace) -> Settings:
    """A file named by --config or SOUCHASTIE_CONFIG must exist; only the default one may be
    absent, and then the embedded defaults (the same values) are used."""
    named = arguments.config or os.environ.get("SOUCHASTIE_CONFIG") or None
    if named is None and not DEFAULT_CONFIG.exists():
        return load_settings(None)
    return load_settings(Path(named) if named is not None else DEFAULT_CONFIG)


async def upgrade_database(settings: Settings) -> list[str]:
    from storage.database import Database

    db = await Database.open(settings.storage.path, busy_timeout_ms=settings.storage.busy_timeout_ms,
                             synchronous=settings.storage.synchronous, migrate=False)
    try:
        return await db.upgrade()
    finally:
        await db.close()


async def load_content_file(settings: Settings, path: Path) -> dict[str, int]:
    """Check the whole file first; store it in one transaction, so a bad file changes nothing."""
    from bot.content import load_content, storable, storable_series
    from storage.database import Database

    content = load_content(path, topics={topic.key for topic in settings.subscriptions.topics},
                           time_zone=settings.project.time_zone)
    db = await Database.open(settings.storage.path, busy_timeout_ms=settings.storage.busy_timeout_ms,
                             synchronous=settings.storage.synchronous)
    try:
        async with db.transaction() as tx:
            await tx.content.store(storable(content))
            await tx.episodes.store(storable_series(content))
    finally:
        await db.close()
    return {"polls": len(content.polls), "quizzes": len(content.quizzes),
            "surveys": len(content.surveys), "contests": len(content.contests), "series": len(content.series)}


def main(argv: list[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    configure_logging(arguments.log_level)
    try:
        settings = settings_from(arguments)
    except ConfigError as error:
        print(f"Ошибка в настройках: {error}", file=sys.stderr)
        return 2
    install_repeat_filter(settings.server.log_repeat_seconds)
    if arguments.command == "db":
        applied = asyncio.run(upgrade_database(settings))
        print("applied: " + ", ".join(applied) if applied else "the database is up to date")
        return 0
    if arguments.command == "content":
        from bot.content import ContentError

        try:
            stored = asyncio.run(load_content_file(settings, arguments.file))
        except ContentError as error:
            print(f"the content file was not loaded, nothing changed:\n{error}", file=sys.stderr)
            return 2
        print("loaded: " + ", ".join(f"{count} {kind}" for kind, count in stored.items()))
        return 0
    if arguments.command == "admin":
        from admin import cli as admin_cli

        return admin_cli.run(settings, arguments)
    if arguments.command == "export":
        from admin import export_command

        return export_command.run(settings, arguments)
    if arguments.command == "broadcast":
        from broadcasts import cli as broadcast_cli

        return broadcast_cli.run(settings, arguments)
    if arguments.command == "contests":
        from bot import contest_command

        return contest_command.run(settings, arguments)
    from bot.app import StartupError, serve

    raise_open_files_limit(settings.server.open_files)
    try:
        asyncio.run(serve(settings))
    except StartupError as error:
        print(f"Бот не запущен: {error}", file=sys.stderr)
        return 1
    return 0
