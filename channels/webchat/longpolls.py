"""Long polls held open at once, per browser (session), per address and in all.

A waiting ``GET /api/webchat/messages`` holds a connection, that is an open file, for up to
``webchat.poll_timeout_seconds``; without a ceiling, a thousand of them take every file the
process may open and everyone else's requests fail. One over a ceiling is answered at once.
"""
from __future__ import annotations

from collections import Counter


class LongPolls:
    def __init__(self, per_session: int, per_address: int, total: int) -> None:
        self.per_session, self.per_address, self.total = per_session, per_address, total
        self._sessions: Counter[str] = Counter()
        self._addresses: Counter[str] = Counter()
        self.open = 0

    def enter(self, session: str, address: str) -> bool:
        """Take a place for one more long poll; False when a ceiling is reached (nothing taken)."""
        if (self.open >= self.total or self._sessions[session] >= self.per_session
                or self._addresses[address] >= self.per_address):
            return False  # reading a Counter adds no key
        self.open += 1
        self._sessions[session] += 1
        self._addresses[address] += 1
        return True

    def leave(self, session: str, address: str) -> None:
        self.open -= 1
        self._sessions[session] -= 1
        self._addresses[address] -= 1
        _forget_zero(self._sessions, session)
        _forget_zero(self._addresses, address)


def _forget_zero(counts: Counter[str], key: str) -> None:
    """Only keys with a poll open are kept, so memory follows the polls, not every visitor."""
    if counts.get(key, 1) <= 0:
        del counts[key]
