"""Counted words in Russian for staff: «1 викторина», «2 викторины», «5 викторин», «1 234 строки».

One rule for every count the CLI and the logs print, so none says "1 quizzes". The three forms
are written out by whoever counts (a word list is easier to read and to check than a
morphological guess); the rule picks one, as CLDR's Russian plural rule does.
"""
from __future__ import annotations

Forms = tuple[str, str, str]  # for 1 (21, 101 …), for 2–4 (22 …), for 5–20 and 0 (25 …)


def plural(number: int, forms: Forms) -> str:
    """The form of the word that goes with ``number``."""
    one, few, many = forms
    last, last_two = abs(number) % 10, abs(number) % 100
    if last == 1 and last_two != 11:
        return one
    if 2 <= last <= 4 and not 12 <= last_two <= 14:
        return few
    return many


def grouped(number: int) -> str:
    """Thousands set apart by a space, as Russian text writes them: 1 234, 51 387."""
    return f"{number:,}".replace(",", " ")


def counted(number: int, forms: Forms) -> str:
    """``number`` and the word that agrees with it: «1 234 жителям»."""
    return f"{grouped(number)} {plural(number, forms)}"
