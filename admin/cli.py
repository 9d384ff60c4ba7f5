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
from bot.core.plugins import Command, Feature, OpenDatabase
from storage.ports.staff import ROLES


def add_parser(commands) -> None:
    admin = commands.add_parser("admin", help="учётные записи панели сотрудников")
    actions = admin.add_subparsers(dest="action", required=True, metavar="ДЕЙСТВИЕ")
    create = actions.add_parser("create", help="создать учётную запись (пароль со стандартного ввода или по запросу)")
    create.add_argument("username", metavar="ИМЯ", help="имя для входа")
    create.add_argument("--role", required=True, choices=ROLES,
                        help="admin: пользователи, настройки; staff: содержание, рассылки, статистика, выгрузки;"
                             " moderator: предложения; expert: заключения по предложениям")
    create.add_argument("--personal-data", action="store_true",
                        help="может видеть персональные данные жителей (администратор может всегда)")


def read_password() -> str | None:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Пароль: ")
    if getpass.getpass("Ещё раз: ") != first:
        return None
    return first


async def _create(arguments: argparse.Namespace, open_database: OpenDatabase, password: str) -> int:
    from admin.auth import create_account

    db = await open_database()
    try:
        return await create_account(db, arguments.username, arguments.role, password, arguments.personal_data)
    finally:
        await db.close()


def run(settings: Settings, arguments: argparse.Namespace, open_database: OpenDatabase) -> int:
    password = read_password()
    if password is None:
        print("Пароли не совпали; ничего не изменено", file=sys.stderr)
        return 2
    try:
        asyncio.run(_create(arguments, open_database, password))
    except ValueError as error:
        print(f"Пароль не подходит: {error}; ничего не изменено", file=sys.stderr)
        return 2
    except sqlite3.IntegrityError:
        print(f"Учётная запись «{arguments.username}» уже есть; ничего не изменено", file=sys.stderr)
        return 2
    print(f"Создана учётная запись «{arguments.username}» ({arguments.role}); вход: /admin")
    return 0


FEATURE = Feature("staff accounts", commands=(Command("admin", add_parser, run),))
