"""What a hostile resident or a broken platform may send: texts, JSON values, bodies as bytes, and
mutations of the payloads the platforms document.

Bodies are serialised here, not by ``json.dumps`` alone, for two reasons: a lone surrogate must be
able to reach the bot both as the JSON escape ``"\\ud800"`` (valid JSON that decodes to a string
Python cannot encode) and as the raw bytes ``ED A0 80`` (invalid UTF-8); and numbers Python will
not print (5,000 digits) must be sendable, written as ``Raw`` text.
"""
from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# Where a mutated payload's links point: a closed port on loopback, so that a photo the bot tries
# to fetch fails at once instead of reaching the internet.
DEAD_URL = "http://127.0.0.1:1/photo.jpg"


class Raw(str):
    """A JSON fragment sent as written (a number with more digits than Python prints)."""


# -- texts ------------------------------------------------------------------------------------

SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff", "\ud83d"]
ODD_PIECES = [
    "\x00", "\x1b[31m", "\u202e", "\ufeff", "\u200b", "\u0301", "\u2028", "\r\n", "\t", " ",
    "²", "٣", "𝟗", "Ⅻ", "½", "😀", "👨‍👩‍👧", "ё", "Ё", "İ", "ß", "ﬃ",
    "'", '"', "\\", "%s", "{0}", "{{ x }}", "<script>alert(1)</script>", "&amp;", "${x}",
    "/start", "/start poster_1", "/forget", "/privacy", "/", "@", ":", "::", "?", "#", "\n",
    "-1", "0", "9" * 30, "1e309", "NaN", "null", "true", "[]", "{}",
]
LONG_PIECES = ["а", "x", " ", "😀", "\x00", "\ud800"]


@cache  # a strategy is validated when first drawn from: build each once
def odd_text(max_size: int = 40, long: bool = True) -> st.SearchStrategy[str]:
    """Ordinary, odd and hostile text: control and format characters, lone surrogates, unicode
    digits, markup, commands, and (``long``) now and then a very long run of one character."""
    pieces = st.one_of(st.sampled_from(ODD_PIECES), st.sampled_from(SURROGATES),
                       st.text(max_size=8), st.text(st.characters(codec="utf-8"), max_size=8))
    texts = [st.text(max_size=max_size), st.lists(pieces, max_size=6).map("".join),
             st.text(st.characters(codec="utf-8"), max_size=max_size), st.sampled_from(ODD_PIECES)]
    if long:
        texts.append(st.builds(lambda piece, count: piece * count, st.sampled_from(LONG_PIECES),
                               st.integers(500, 12_000)))
    return st.one_of(*texts)


# -- numbers and JSON values ------------------------------------------------------------------

@cache
def odd_numbers(huge: bool = True) -> st.SearchStrategy[Any]:
    """Numbers at and past the ranges of SQLite, floats and JSON; ``huge``: also one of more
    digits than ``json.loads`` accepts (4,300), which only a raw body can carry."""
    numbers = [
        st.integers(),
        st.integers(2**63 - 2, 2**64 + 2), st.integers(-2**64 - 2, -2**63 + 2),
        st.sampled_from([0, -1, 2**31, 2**53 + 1, 10**20, -10**20, 10**300]),
        st.floats(),
        st.sampled_from([Raw("1e999"), Raw("-1e999"), Raw("-0"), Raw("1E-400"), Raw("0.1e1"),
                         Raw("NaN"), Raw("Infinity"), Raw("-Infinity")]),
    ]
    if huge:
        numbers.append(st.integers(4200, 4400).map(lambda digits: Raw("9" * digits)))
    return st.one_of(*numbers)


KEYS = [
    # the web chat and the gateway
    "session", "id", "text", "button", "location", "latitude", "longitude", "language", "photo", "version",
    "user", "name", "photo_url", "contact", "phone", "verified", "start", "reachable",
    # the platforms' fields
    "type", "object", "message", "from", "chat", "update_id", "callback_query", "data", "my_chat_member",
    "secret", "group_id", "event_id", "peer_id", "from_id", "payload", "attachments", "geo", "client_info",
    "update_type", "callback", "callback_id", "sender", "recipient", "body", "mid", "user_id", "chat_type",
    "entry", "changes", "value", "messages", "statuses", "metadata", "phone_number_id", "contacts", "wa_id",
    "webhookType", "chat_id", "callbackId", "timestamp", "url", "sizes", "width", "height", "file_id",
    "mime_type", "file_size", "interactive", "button_reply", "list_reply", "ref", "lang_id", "status", "errors",
]


@cache
def keys() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(KEYS), odd_text(12))


@cache
def json_values(max_leaves: int = 12, huge: bool = True) -> st.SearchStrategy[Any]:
    """Any JSON value: nested objects and lists of odd leaves under likely and unlikely keys."""
    return st.recursive(
        st.one_of(st.none(), st.booleans(), odd_numbers(huge), odd_text()),
        lambda children: st.one_of(st.lists(children, max_size=4),
                                   st.dictionaries(keys(), children, max_size=5)),
        max_leaves=max_leaves)


# -- bodies as bytes --------------------------------------------------------------------------

def dumps(value: Any, escaped: bool = True) -> bytes:
    """``value`` as a JSON body. ``escaped``: non-ASCII as ``\\u`` escapes (a lone surrogate
    becomes the escape ``\\ud800``); otherwise as UTF-8 (a lone surrogate becomes invalid bytes)."""
    return _text(value, escaped).encode("utf-8", "surrogatepass")


def _text(value: Any, escaped: bool) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_text(str(k), escaped)}:{_text(v, escaped)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_text(v, escaped) for v in value) + "]"
    return json.dumps(value, ensure_ascii=escaped)


# -- documented payloads, mutated ---------------------------------------------------------------

def documented(platform: str, prefixes: tuple[str, ...]) -> list[Any]:
    """The fixtures of ``platform`` whose names start with one of ``prefixes``, links made dead."""
    found = []
    for path in sorted((FIXTURES / platform).glob("*.json")):
        if path.name.startswith(prefixes):
            found.append(_dead_links(json.loads(path.read_text(encoding="utf-8"))))
    assert found, f"no {platform} fixtures starting with {prefixes}"
    return found


def _dead_links(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _dead_links(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dead_links(v) for v in value]
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return DEAD_URL
    return value


def node_paths(value: Any, here: tuple = ()) -> list[tuple]:
    """Every node's path (keys and indexes) in ``value``, the root first."""
    found = [here]
    if isinstance(value, dict):
        for key, child in value.items():
            found += node_paths(child, here + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += node_paths(child, here + (index,))
    return found


def _at(value: Any, path: tuple) -> Any:
    for step in path:
        value = value[step]
    return value


# Values of every shape, small: what a field of another type most often becomes in a broken body.
SHAPES = [None, True, False, 0, 1, -1, 1.5, 2**63, -2**63 - 1, "", "x", "1", [], [None], [1], ["x"], [[]], [{}],
          {}, {"x": 1}, {"": None}]


@cache
def replacements(huge: bool) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(SHAPES), json_values(6, huge)).map(copy.deepcopy)  # SHAPES are shared


def single_changes(document: Any):
    """Every payload one change away from ``document``: each node (but the root) replaced by each
    of ``SHAPES``, and each node dropped; with the path and what was done, for a report."""
    for path in node_paths(document)[1:]:
        for shape in [*SHAPES, "drop"]:
            changed = copy.deepcopy(document)
            if shape == "drop":
                del _at(changed, path[:-1])[path[-1]]
            else:
                _at(changed, path[:-1])[path[-1]] = copy.deepcopy(shape)
            yield changed, path, shape


@st.composite
def mutated(draw, documents: list[Any], max_changes: int = 4, huge: bool = True) -> Any:
    """A documented payload with a few changes: a node replaced by another JSON value (most
    often), a key or an item dropped, a key added; the documented payload itself is one of the
    outcomes."""
    value = copy.deepcopy(draw(st.sampled_from(documents)))
    for _ in range(draw(st.integers(0, max_changes))):
        path = draw(st.sampled_from(node_paths(value)))
        change = draw(st.sampled_from(["replace", "replace", "replace", "drop", "add"]))
        node = _at(value, path)
        if change == "add" and isinstance(node, (dict, list)):
            if isinstance(node, dict):
                node[draw(keys())] = draw(replacements(huge))
            else:
                node.insert(draw(st.integers(0, len(node))), draw(replacements(huge)))
        elif change == "drop" and path:
            del _at(value, path[:-1])[path[-1]]
        elif path:
            _at(value, path[:-1])[path[-1]] = draw(replacements(huge))
    return value
