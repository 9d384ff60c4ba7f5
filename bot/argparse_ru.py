"""argparse in Russian: its own words (``usage:``, ``error:``, ``invalid choice`` …) for staff.

argparse marks every message for gettext (the Python docs' "How to translate the argparse
output"), but the standard library ships no catalogue, and one found through the locale would
depend on the operator's ``LANG``. So the catalogue is here, a dict from argparse's message ids,
and ``russian_argparse()`` lends it to argparse while our parser is built and used, the way
the i18nparse package installs its catalogues (argparse looks ``_`` and ``ngettext`` up in its
module at each call); other code in the process keeps argparse as it was.
"""
from __future__ import annotations

import argparse
import gettext
from contextlib import contextmanager
from typing import Any, Iterator

CATALOGUE = {
    "usage: ": "использование: ",
    "%(prog)s: error: %(message)s\n": "%(prog)s: ошибка: %(message)s\n",
    "argument %(argument_name)s: %(message)s": "аргумент %(argument_name)s: %(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "нет такого значения: %(value)r; можно: %(choices)s",
    "invalid %(type)s value: %(value)r": "неверное значение %(value)r (нужно: %(type)s)",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "нет такой команды: %(parser_name)r; есть: %(choices)s",
    "the following arguments are required: %s": "не хватает обязательных аргументов: %s",
    "one of the arguments %s is required": "нужен один из аргументов: %s",
    "unrecognized arguments: %s": "непонятные аргументы: %s",
    "not allowed with argument %s": "нельзя вместе с аргументом %s",
    "ignored explicit argument %r": "лишнее значение: %r",
    "expected one argument": "нужно одно значение",
    "expected at most one argument": "можно не больше одного значения",
    "expected at least one argument": "нужно хотя бы одно значение",
    "ambiguous option: %(option)s could match %(matches)s": "неоднозначный параметр %(option)s: подходят %(matches)s",
    "unexpected option string: %s": "неожиданный параметр: %s",
    "can't open '%(filename)s': %(error)s": "не открывается «%(filename)s»: %(error)s",
    "positional arguments": "аргументы",
    "options": "параметры",
    "subcommands": "команды",
    "show this help message and exit": "показать эту справку и выйти",
}
# ngettext's one message with a count: said without a plural form.
PLURAL_CATALOGUE = {"expected %s argument": "нужно значений: %s"}


class Russian(gettext.NullTranslations):
    """The catalogue above; a message it lacks stays as argparse wrote it."""

    def gettext(self, message: str) -> str:
        return CATALOGUE.get(message, message) if isinstance(message, str) else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return PLURAL_CATALOGUE.get(singular) or (singular if n == 1 else plural)


@contextmanager
def russian_argparse() -> Iterator[None]:
    """argparse speaks Russian inside the block (building, parsing, help, errors)."""
    # argparse's own translation hooks: private names, so its type stubs do not declare them.
    module: Any = argparse
    saved = module._, module.ngettext
    russian = Russian()
    module._, module.ngettext = russian.gettext, russian.ngettext
    try:
        yield
    finally:
        module._, module.ngettext = saved
