"""Fuzz findings whose fixes are on other branches of issue 10, switched off until those merge.

Each name turns off the examples of one finding (the test says which examples: ``known(...)``),
so that the rest of the fuzzing still runs and stays green meanwhile. Once the branches are
merged, empty this set: every test must then pass with nothing switched off.
"""
from __future__ import annotations

KNOWN_UNTIL_MERGE: frozenset[str] = frozenset({
    # core (/work/wt-core): a text with a lone surrogate ("\ud800" in JSON) fails the batch
    # write, and recording the failure raises again (``Event.model_dump_json``).
    "core: lone surrogate",
    # uploads (/work/wt-uploads): ``after=`` past SQLite's integer range answers 500.
    "uploads: after= overflow",
    # channels (/work/wt-channels): a correctly signed body that the channel cannot read
    # (not JSON to ``json.loads``, or its parser raises) is answered 500, and retried forever.
    "channels: signed malformed body",
    # admin (/work/wt-admin): a whole number past SQLite's range where the panel expects an id
    # (/admin/proposals/99999999999999999999 and every other {id} route, the bulk form's ids,
    # duplicate_of, an answer template's id) answers 500 (OverflowError in the query).
    "admin: id past SQLite's range",
    # admin: a number in digits that pass ``str.isdigit`` and fail ``int`` (²) answers 500:
    # /admin/proposals?page=², /admin/audit?before=², the answers form's id=², the bulk form's id=².
    "admin: unicode digits as numbers",
    # admin: GET /admin/operator always answers 500 ('dict object' has no attribute 'source').
    "admin: GET /admin/operator",
    # channels: a parser raises something other than its declared refusal on a mutated
    # documented payload (the webhook's 500 above; a long poll would lose the update).
    "channels: parser raises an undeclared error",
})


def known(finding: str) -> bool:
    """Whether ``finding`` is still switched off (its fix not merged yet)."""
    return finding in KNOWN_UNTIL_MERGE
