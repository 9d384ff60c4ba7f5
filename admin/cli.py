"""``python -m bot admin create USER --role ROLE``: make a staff account from the command line.

The first admin has no panel to be created in, hence this command. The password is read from
standard input when it is not a terminal (``echo "$PASSWORD" | python -m bot admin create …``),
otherwise asked twice without echo; it is never an argument, so it stays out of shell history
and process lists.
"""
from __future__ import annotations

import argparse
import asyncio
import getpass
import sqlite3
import sys

from bot.config import Settings
from storage.staff import ROLES


def add_parser(commands) -> None:
    admin = commands.add_parser("admin", help="staff panel accounts")
    actions = admin.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a staff account (password from stdin or asked)")
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=ROLES,
                        help="admin: users, settings; staff: content, broadcasts, statistics, exports;"
                             " moderator: proposals; expert: opinions on proposals")
    create.add_argument("--personal-data", action="store_true",
                        help="may see residents' personal data (admins always may)")


def read_password() -> str | None:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Пароль: ")
    if getpass.getpass("Ещё раз: ") != first:
        return None
    return first


async def _create(settings: Settings, arguments: argparse.Namespace, password: str) -> int:
    from admin.auth import create_account
    from storage.database import Database

    db = await Database.open(settings.storage.path, busy_timeout_ms=settings.storage.busy_timeout_ms,
                             synchronous=settings.storage.synchronous)
    try:
        return await create_account(db, arguments.username, arguments.role, password, arguments.personal_data)
    finally:
        await db.close()


def run(settings: Settings, arguments: argparse.Namespace) -> int:
    password = read_password()
    if password is None:
        print("the passwords differ; nothing changed", file=sys.stderr)
        return 2
    try:
        asyncio.run(_create(settings, arguments, password))
    except ValueError as error:
        print(f"the password does not fit: {error}; nothing changed", file=sys.stderr)
        return 2
    except sqlite3.IntegrityError:
        print(f"there is already an account {arguments.username!r}; nothing changed", file=sys.stderr)
        return 2
    print(f"created {arguments.role} {arguments.username}; log in at /admin")
    return 0
