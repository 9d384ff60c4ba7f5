"""Ids and page numbers from the panel's requests, through ``bot.numbers.whole_number``.

Every id, page number or other whole number the panel reads from a path, a query string or a
form goes through ``whole_number`` (ASCII digits, at most SQLite's largest integer). Routes
match ids with "[0-9]+", not "\\d+", which matches the digits of every script.
"""
from __future__ import annotations

from aiohttp import web

from bot.numbers import INT64_MAX, whole_number


def path_id(request: web.Request, name: str) -> int:
    """An id from the path; one that cannot exist is a 404, as a missing one is."""
    number = whole_number(request.match_info.get(name))
    if number is None:
        raise web.HTTPNotFound(text="Такой записи нет.")
    return number


def page_number(request: web.Request, page_size: int, name: str = "page") -> int:
    """A page of a list from the query string, 1 when it is missing or is not a page number; at
    most the page whose offset SQLite can still take."""
    return max(whole_number(request.query.get(name, ""), INT64_MAX // page_size) or 1, 1)
