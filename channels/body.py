"""A webhook's body as the platform sent it: read whole within a size limit, then read as JSON.

One way for every webhook, and for every photo a channel downloads. Why whole: a body longer
than one TCP segment (1,448 bytes on a typical path) arrives in several reads, and one
``content.read(n)`` returns only what has arrived so far: a 3 KB Cyrillic event was cut and
refused as "not JSON" on every retry, and a photo sent slowly was cut to its first piece.
``read_whole`` reads aiohttp's stream to its end (aiohttp undoes chunked transfer encoding
itself) and stops as soon as the bytes received pass the limit; ``read_body`` adds the webhook's
answers (413 also when the declared length is over it).

Why the JSON rules: ``json.loads`` fails in more ways than ``JSONDecodeError`` (bytes that are not
UTF-8, a UTF-8-encoded lone surrogate among them; a number of more than 4,300 digits; nesting
deeper than Python's stack), and some JSON it accepts cannot be kept: an integer beyond 64 bits
fails wherever SQLite binds it, and JSON nested deeper than pydantic reads back (about 200
levels) would be stored as an event that can never be processed. All of these, and a wrong shape
found by a channel's parser, are ``Unparseable``: a channel keeps such a body, when it is signed,
as a dead letter (``Inbound.accept_unparseable``) and answers so that the platform stops retrying.
"""
from __future__ import annotations

import json
import traceback
from contextlib import contextmanager
from typing import Any, Iterator

import aiohttp
from aiohttp import web
from pydantic import ValidationError

# Platforms' payloads nest less than 15 levels; the stored event adds two, and pydantic reads
# JSON back only to about 200. A constant, not a setting: raising it past the reader's limit
# would store events that can never be processed.
MAX_JSON_DEPTH = 64
INT64 = 2**63

# What a pure parsing function raises when a value has another type or shape than the platform
# documents. Caught only at a channel's parse boundary, around code that does no I/O, so each
# can only mean "this body is not what the platform sends".
SHAPE_ERRORS = (TypeError, KeyError, IndexError, AttributeError, ValueError, OverflowError, RecursionError)


class BodyRefused(Exception):
    """The body was not read: too large (413) or cut off by the sender (400)."""

    def __init__(self, status: int, error: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.error = error
        self.reason = reason


class Unparseable(ValueError):
    """The body cannot be read as what the platform sends; the message says why, quoting none of it."""


async def read_body(request: web.Request, limit: int) -> bytes:
    """The whole body, however many pieces it came in; ``BodyRefused`` past ``limit`` bytes."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    try:
        body = await read_whole(request.content, limit)
    except (aiohttp.ClientError, ConnectionError, TimeoutError) as error:
        raise BodyRefused(400, "unreadable", f"the body could not be read: {type(error).__name__}") from None
    if body is None:
        raise _too_large(limit)
    return body


def _too_large(limit: int) -> BodyRefused:
    """Built only when refused: an exception object per request was a cost on the happy path."""
    return BodyRefused(413, "too_large", f"the body is over {limit} bytes")


async def read_whole(stream: aiohttp.StreamReader, limit: int) -> bytes | None:
    """Everything ``stream`` holds, to its end, however many pieces it arrives in; ``None`` as
    soon as it passes ``limit`` bytes (the rest is not read)."""
    if stream.is_eof():  # all of it has arrived (a small body nearly always): taken without waiting
        body = stream.read_nowait()
        return None if len(body) > limit else body
    chunks: list[bytes] = []
    size = 0
    async for chunk in stream.iter_any():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def load_json(body: bytes) -> Any:
    """The JSON value of a UTF-8 body; ``Unparseable`` for anything a platform would not send."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Unparseable(f"the body is not UTF-8 (byte {error.start})") from None
    try:
        return json.loads(text, parse_int=_int64, parse_float=_finite, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise Unparseable(f"the body is not JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    except Unparseable:
        raise
    except ValueError:  # int() refuses a number of more than 4,300 digits
        raise Unparseable("the body has a number too long to read") from None
    except RecursionError:
        raise Unparseable(f"the body is nested deeper than {MAX_JSON_DEPTH} levels") from None


def check_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> None:
    """``Unparseable`` when objects and arrays nest deeper than ``limit``."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            raise Unparseable(f"the body is nested deeper than {limit} levels")
        pending.extend((child, depth + 1) for child in children)


@contextmanager
def refused_as(refusal: type[Unparseable]) -> Iterator[None]:
    """Around a channel's reading of a body or an update (code that does no I/O): any
    ``Unparseable`` and whatever a wrong shape trips (``SHAPE_ERRORS``) leave as ``refusal``,
    with a reason that quotes nothing of the body — the one place a channel tells them apart."""
    try:
        yield
    except refusal:
        raise
    except Unparseable as error:
        raise refusal(str(error)) from None
    except SHAPE_ERRORS as error:
        raise refusal(describe(error)) from None


def describe(error: BaseException) -> str:
    """One of ``SHAPE_ERRORS`` as a reason that names the place in the parser, not the content."""
    if isinstance(error, ValidationError):
        first = error.errors(include_input=False, include_url=False)[0]
        place = ".".join(str(part) for part in first["loc"]) or "the event"
        return f"{place}: {first['msg']}"
    frame = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    where = f" in {frame.name}()" if frame is not None else ""
    # These messages name types and our own keys; a ValueError's may quote the value itself.
    detail = f": {str(error)[:80]}" if isinstance(error, (TypeError, AttributeError, KeyError)) else ""
    return f"{type(error).__name__}{where}{detail}"


def _int64(text: str) -> int:
    number = int(text)
    if not -INT64 <= number < INT64:
        raise Unparseable("the body has an integer beyond 64 bits")
    return number


def _finite(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise Unparseable("the body has a number beyond the range of a double")
    return number


def _no_constant(name: str) -> float:
    raise Unparseable(f"the body has {name}, which is not JSON")
