"""Who a browser is to the web chat: its session token (at least 128 random bits, made by the
page) and the resident reference made from it. Only the token's SHA-256 is stored as the
resident's external id, so the database never holds a live token. Shared by the channel
(``channels.webchat.channel``) and its HTTP API (``channels.webchat.inbound``)."""
from __future__ import annotations

import hashlib
import re

from bot.core.events import ResidentRef

NAME = "webchat"
SESSION = re.compile(r"\A[0-9a-f]{32,128}\Z")  # \Z, not $: "$" also matches before a final newline


def session_ref(session: str) -> ResidentRef:
    return ResidentRef(channel=NAME, external_id=hashlib.sha256(session.encode()).hexdigest())
