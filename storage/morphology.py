"""One pymorphy3 analyzer for the whole process, loaded on first use: its Russian dictionaries
take some 22 MB, so the tag cloud and the redaction of erased authors' names share it."""
from __future__ import annotations

from functools import cache


@cache
def analyzer():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()
