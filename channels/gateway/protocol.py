"""The signature both directions carry: HMAC-SHA256 of the raw body with the shared key.

The signature covers the bytes as sent, not a re-serialised JSON object, so neither side has to
agree with the other on key order or whitespace. It is compared with ``hmac.compare_digest`` so
that the time a refusal takes tells a forger nothing about how much of the signature was right.
"""
from __future__ import annotations

import hashlib
import hmac

VERSION = 1
SIGNATURE_HEADER = "X-Souchastie-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    """The header value for ``body``: ``sha256=<64 lowercase hex digits>``."""
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    if not header or not header.startswith(PREFIX):
        return False
    return hmac.compare_digest(header.strip().lower().encode(), sign(secret, body).encode())
