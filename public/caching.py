"""HTTP caching and framing for the public page and its feeds.

The ETag is the database's revision of what is public (``PublicStore.revision``: a few index
reads) with the path, the query and the language: a reload of an unchanged page costs those
reads and a 304, never the page. There is no Last-Modified: the revision is a counter, not a
time, and a time taken from the clock would differ between two processes serving one database.
Browsers and proxies may keep an answer ``public.cache_seconds`` (``Cache-Control: public``).

The page may be framed only by ``public.embed_origins`` (CSP frame-ancestors); it runs only its
own script and style, and shows images from itself and the map's tile server.
"""
from __future__ import annotations

import hashlib

from aiohttp import web


def etag(revision: str, request: web.Request, language: str) -> str:
    digest = hashlib.sha256(f"{revision}|{request.path}|{request.query_string}|{language}".encode()).hexdigest()
    return f'"{digest[:32]}"'


def not_modified(request: web.Request, tag: str) -> bool:
    """Whether the client holds this answer already (If-None-Match names the tag, or is *)."""
    asked = request.headers.get("If-None-Match", "")
    held = {part.strip().removeprefix("W/") for part in asked.split(",")}
    return tag in held or "*" in held


def cache_headers(tag: str, max_age: int) -> dict[str, str]:
    return {"ETag": tag, "Cache-Control": f"public, max-age={max_age}", "Vary": "Accept-Language"}


def frame_headers(embed_origins: tuple[str, ...], tiles_origin: str) -> dict[str, str]:
    """X-Frame-Options, for browsers without CSP, can say only "same site" or "nobody": with other
    sites allowed it is left out, since it would forbid them."""
    images = " ".join(("img-src 'self' data:", tiles_origin)).strip()
    headers = {
        "Content-Security-Policy": "; ".join((
            "default-src 'none'", "script-src 'self'", "style-src 'self'", images, "connect-src 'self'",
            "base-uri 'none'", "form-action 'self'", "frame-ancestors " + " ".join(embed_origins))),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }
    if embed_origins == ("'self'",):
        headers["X-Frame-Options"] = "SAMEORIGIN"
    elif embed_origins == ("'none'",):
        headers["X-Frame-Options"] = "DENY"
    return headers
