"""Codes sent by SMS to prove a phone number."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

DAY = timedelta(days=1)


Outcome = Literal["right", "wrong", "exhausted", "expired", "none"]


@dataclass(frozen=True)
class Issued:
    code_id: int
    sent_id: int  # its row in sms_sent, taken back if the SMS could not be sent


@dataclass(frozen=True)
class Checked:
    outcome: Outcome
    phone: str = ""          # the confirmed number, when right
    attempts_left: int = 0   # when wrong


@dataclass(frozen=True)
class Usage:
    """What was asked for within the last day, and when the last code was asked for."""

    by_resident: int
    to_phone: int
    last_at: datetime | None


class PhoneCodeStore(Protocol):
    """What PhoneCodes offers (storage/phone_codes.py is the SQLite one)."""

    async def usage(self, resident_id: int, phone: str, moment: datetime) -> Usage:
        """Codes this resident asked for (failed sends not counted) and SMS sent to ``phone``
        within the day before ``moment``; when this resident last asked for one."""

    async def issue(self, resident_id: int, phone: str, code: str, moment: datetime,
                    lifetime: timedelta) -> Issued:
        """Store a new code for ``phone`` (voiding the resident's earlier ones) and count its SMS."""

    async def mark_sent(self, code_id: int, unknown: bool = False) -> None:
        """The gateway took the SMS (or, ``unknown``, may have): it counts, and can be typed in."""

    async def mark_failed(self, issued: Issued) -> bool:
        """Nothing was sent: the code is void and its SMS not counted. False when the code is
        gone meanwhile (the resident was forgotten) or no longer pending."""

    async def check(self, resident_id: int, typed: str, moment: datetime, max_attempts: int) -> Checked:
        """Whether ``typed`` is the resident's live code; a right code is used up, a wrong one counted."""

    async def left_pending(self) -> list[int]:
        """Codes whose SMS was being sent when the bot stopped: whether it left is unknown (the
        code is not kept to send it again). They become 'unknown'; returns their residents."""

    async def prune(self, moment: datetime) -> int:
        """Delete codes and counted SMS older than a day: no limit looks further back, and a code
        lives a day at most (``sms.code_ttl_seconds``)."""
