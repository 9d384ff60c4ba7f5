"""Slowing down password guessing, without letting a guesser lock a member of staff out.

Failed logins are counted under two keys in ``login_failures``:

- ``pair:<address> <name>``, the name from one address: after ``admin.login_free_failures``
  (5) failures, each further try of that name from that address waits a delay after the last
  failure, ``login_first_delay_seconds`` (1 s) doubling up to ``login_max_delay_seconds``
  (15 minutes). Only that pair waits: the same person from another address, and the other names
  from this address, are heard at once; the right password clears the pair's count.
- ``address:<address>``, over all names: after ``login_address_free_failures`` (100) failures
  every try from that address waits, doubling the same way. This stops one address from trying
  a few passwords on each of thousands of names, which the pairs alone would allow.

There is no count per name alone: that would let anyone keep a person out by typing her name
with wrong passwords (issue 10, point 6: the real user, at another address, got 429).

Why 100 for an address: the people behind one address — an office behind a NAT, or every one
of them behind a reverse proxy that is not in ``server.trusted_proxies`` — share its count. The
panel's staff are a few dozen people at most; 100 lets 20 of them use all 5 of their free tries
before anyone waits, and a count with no failure for ``login_address_forget_minutes`` (60)
starts again, so a day of ordinary typos never adds up to it. A guesser gets those 100 tries
in all, not per name, then one try per delay. Behind a proxy, list it in trusted_proxies so each
person counts under their own address (bot/addresses.py); otherwise a guesser anywhere shares
the office's address and its ceiling.

Each try is counted as a failure before its password is checked, and taken back when it was
right: parallel tries cannot slip past a limit while the first ones are being checked.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bot.config import AdminSettings
from storage.ports.staff import StaffStore

log = logging.getLogger(__name__)
NAME_LIMIT = 100  # names are at most 64 characters; a longer typed one is cut, not stored whole


@dataclass(frozen=True)
class _Count:
    key: str
    free: int            # failures before tries wait
    forget: timedelta    # a count with no failure for this long starts again


class LoginThrottle:
    def __init__(self, settings: AdminSettings) -> None:
        self.settings = settings

    def _counts(self, username: str, address: str) -> tuple[_Count, _Count]:
        s = self.settings
        name = username.strip().lower()[:NAME_LIMIT]
        return (_Count(f"pair:{address} {name}", s.login_free_failures, timedelta(hours=s.login_forget_hours)),
                _Count(f"address:{address}", s.login_address_free_failures,
                       timedelta(minutes=s.login_address_forget_minutes)))

    def delay_after(self, failures: int, free: int) -> timedelta:
        """How long after the last failure the next try is heard."""
        if failures < free:
            return timedelta(0)
        seconds = self.settings.login_first_delay_seconds * 2 ** min(failures - free, 40)
        return timedelta(seconds=min(seconds, self.settings.login_max_delay_seconds))

    def forget_before(self) -> str:
        """Counts older than this are dead for either key (for tidying them away)."""
        longest = max(count.forget for count in self._counts("", ""))
        return (datetime.now(timezone.utc) - longest).isoformat(timespec="microseconds")

    async def admit(self, staff: StaffStore, username: str, address: str) -> int:
        """Seconds to wait before a try of ``username`` from ``address`` is heard; 0 when it is
        heard now, and then it is already counted as a failure (``succeeded`` takes that back).
        Call inside the write transaction, so that the look and the count are one step."""
        counts = self._counts(username, address)
        stored = await staff.failures([count.key for count in counts])
        moment = datetime.now(timezone.utc)
        alive: dict[str, int] = {}  # failures of the counts not yet forgotten
        wait = 0.0
        for count in counts:
            failures, last_at = stored.get(count.key, (0, ""))
            last = datetime.fromisoformat(last_at) if failures else moment
            if failures and last >= moment - count.forget:
                alive[count.key] = failures
                wait = max(wait, (last + self.delay_after(failures, count.free) - moment).total_seconds())
        if wait > 0:
            return math.ceil(wait)
        for count in counts:
            await staff.add_failure([count.key], (moment - count.forget).isoformat(timespec="microseconds"))
        whole_address = counts[1]
        if alive.get(whole_address.key, 0) + 1 == whole_address.free:
            log.warning("вход сотрудников: %d неудачных попыток с адреса %s; теперь каждая попытка с него ждёт",
                        whole_address.free, address)
        return 0

    async def succeeded(self, staff: StaffStore, username: str, address: str) -> None:
        """The right password: the pair starts again, and the address's count loses this try."""
        pair, whole_address = self._counts(username, address)
        await staff.clear_failures([pair.key])
        await staff.take_back_failure(whole_address.key)
