"""What a request asks for: its language (``?lang=``, else Accept-Language, else the default) and
its filters and page, checked against what exists, so a made-up value is a 400 that says which."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web

from bot.numbers import whole_number
from storage.ports.public import PublicFilter
from storage.statuses import SET_ASIDE, ProposalStatus

MAX_PAGE = 1_000_000  # far past any town's last page, and an OFFSET SQLite takes
SHOWN_STATUSES = tuple(status for status in ProposalStatus if status not in SET_ASIDE)


@dataclass(frozen=True)
class Query:
    filters: PublicFilter
    page: int          # from 1
    language: str
    asked_language: str  # ?lang= as given and spoken, '' when the browser's language chose

    def link(self, path: str, **changes: object) -> str:
        """``path`` with this query's filters, page and language, some changed ('' drops one)."""
        values = {"category": self.filters.category, "status": self.filters.status,
                  "page": "" if self.page == 1 else str(self.page), "lang": self.asked_language}
        values |= {key: str(value) for key, value in changes.items()}
        kept = [(key, value) for key, value in values.items() if value and not (key == "page" and value == "1")]
        return path + ("?" + urlencode(kept) if kept else "")


def language(request: web.Request, languages: list[str]) -> tuple[str, str]:
    """(the language to speak, the one ?lang= named or ''). Accept-Language's ranges are tried by
    their weight; "en-GB" is taken as "en"; the first of ``languages`` is the default."""
    asked = request.query.get("lang", "")
    if asked in languages:
        return asked, asked
    ranked = []
    for position, part in enumerate(request.headers.get("Accept-Language", "").split(",")):
        tag, _, parameters = part.strip().partition(";")
        weight = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip() == "q":
            try:
                weight = float(value)
            except ValueError:
                weight = 0.0
        if tag and weight > 0:
            ranked.append((-weight, position, tag.strip().lower().split("-")[0]))
    for _, _, tag in sorted(ranked):
        if tag in languages:
            return tag, ""
    return languages[0], ""


def query(request: web.Request, categories: set[str], languages: list[str]) -> Query:
    """The request's filters and page, or a 400 naming the value that is not one of ours."""
    category = request.query.get("category", "")
    status = request.query.get("status", "")
    page_text = request.query.get("page", "1")
    if category and category not in categories:
        raise web.HTTPBadRequest(text=f"unknown category {category!r}: one of {', '.join(sorted(categories))}")
    if status and status not in SHOWN_STATUSES:
        raise web.HTTPBadRequest(text=f"unknown status {status!r}: one of {', '.join(SHOWN_STATUSES)}")
    page = whole_number(page_text, MAX_PAGE)
    if page is None or page < 1:
        raise web.HTTPBadRequest(text=f"page must be a whole number from 1, not {page_text!r}")
    spoken, asked = language(request, languages)
    return Query(PublicFilter(category=category, status=status), page, spoken, asked)
