"""Button payloads: one codec, one size limit, so that a button means the same on every platform.

A payload is ``namespace:arg:arg`` in ASCII. Its size is checked against the smallest limit of
the platforms we serve (Telegram's callback data: 64 bytes), so a payload that works in the web
chat works in every messenger. Payloads arrive from residents' clients and are untrusted:
``decode`` never raises, it returns ``None`` for anything it does not recognise.
"""
from __future__ import annotations

from typing import NamedTuple

MAX_PAYLOAD_BYTES = 64
SEPARATOR = ":"


class Payload(NamedTuple):
    namespace: str
    args: tuple[str, ...]

    def arg(self, index: int, default: str = "") -> str:
        return self.args[index] if index < len(self.args) else default


class PayloadTooLong(ValueError):
    pass


def encode(namespace: str, *args: object) -> str:
    parts = [namespace, *(str(a) for a in args)]
    for part in parts:
        if SEPARATOR in part or not part.isascii():
            raise ValueError(f"payload part {part!r} must be ASCII without {SEPARATOR!r}")
    payload = SEPARATOR.join(parts)
    if len(payload.encode()) > MAX_PAYLOAD_BYTES:
        raise PayloadTooLong(f"payload {payload!r} is over {MAX_PAYLOAD_BYTES} bytes")
    return payload


def decode(payload: str) -> Payload | None:
    if not payload or len(payload) > MAX_PAYLOAD_BYTES or not payload.isascii():
        return None
    namespace, *args = payload.split(SEPARATOR)
    if not namespace:
        return None
    return Payload(namespace, tuple(args))
