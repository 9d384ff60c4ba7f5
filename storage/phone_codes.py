"""One-time codes that confirm a phone number, and the SMS sent to each number (migration 0016).

A code is checked here against its salted hash: the code itself never reaches the database. Only
the newest code of a resident is live (pending, sent or unknown: asking for another voids the
earlier ones); it works until it expires, and a number of wrong entries voids it.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta, timezone

from storage.ports.phone_codes import DAY, Checked, Issued, Outcome, Usage
from storage.sql import SqlConnection
from storage.statuses import PhoneCodeStatus

__all__ = [  # the values beside their port, as before they moved
    "PhoneCodes", "DAY", "Checked", "Issued", "Outcome", "Usage",
]


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _hash(salt: str, phone: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{phone}:{code}".encode()).hexdigest()


def phone_digest(phone: str) -> str:
    return hashlib.sha256(f"souchastie-sms:{phone}".encode()).hexdigest()


class PhoneCodes:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    async def usage(self, resident_id: int, phone: str, moment: datetime) -> Usage:
        """Codes this resident asked for (failed sends not counted) and SMS sent to ``phone``
        within the day before ``moment``; when this resident last asked for one."""
        since = _stamp(moment - DAY)
        rows = await self._db.execute_fetchall(
            "SELECT (SELECT count(*) FROM phone_codes WHERE resident_id = :resident AND created_at >= :since"
            "        AND status != 'failed'),"
            " (SELECT count(*) FROM sms_sent WHERE phone_digest = :digest AND sent_at >= :since),"
            " (SELECT max(created_at) FROM phone_codes WHERE resident_id = :resident AND status != 'failed')",
            {"resident": resident_id, "since": since, "digest": phone_digest(phone)})
        by_resident, to_phone, last = rows[0]
        return Usage(by_resident, to_phone, datetime.fromisoformat(last) if last else None)

    async def issue(self, resident_id: int, phone: str, code: str, moment: datetime, lifetime: timedelta) -> Issued:
        """Store a new code for ``phone`` (voiding the resident's earlier ones) and count its SMS."""
        await self._db.execute("UPDATE phone_codes SET status = 'void' WHERE resident_id = ?"
                               " AND status IN ('pending', 'sent', 'unknown')", (resident_id,))
        salt = secrets.token_hex(16)
        rows = await self._db.execute_fetchall(
            "INSERT INTO phone_codes (resident_id, phone, code_hash, salt, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (resident_id, phone, _hash(salt, phone, code), salt, _stamp(moment), _stamp(moment + lifetime)))
        code_id = rows[0][0]
        rows = await self._db.execute_fetchall(
            "INSERT INTO sms_sent (phone_digest, sent_at) VALUES (?, ?) RETURNING id",
            (phone_digest(phone), _stamp(moment)))
        return Issued(code_id, rows[0][0])

    async def mark_sent(self, code_id: int, unknown: bool = False) -> None:
        """The gateway took the SMS (or, ``unknown``, may have): it counts, and can be typed in."""
        await self._db.execute("UPDATE phone_codes SET status = ? WHERE id = ? AND status = 'pending'",
                               (PhoneCodeStatus.UNKNOWN if unknown else PhoneCodeStatus.SENT, code_id))

    async def mark_failed(self, issued: Issued) -> bool:
        """Nothing was sent: the code is void and its SMS not counted. False when the code is
        gone meanwhile (the resident was forgotten) or no longer pending."""
        await self._db.execute("DELETE FROM sms_sent WHERE id = ?", (issued.sent_id,))
        cursor = await self._db.execute(
            "UPDATE phone_codes SET status = 'failed' WHERE id = ? AND status = 'pending'", (issued.code_id,))
        return cursor.rowcount == 1

    async def check(self, resident_id: int, typed: str, moment: datetime, max_attempts: int) -> Checked:
        """Whether ``typed`` is the resident's live code; a right code is used up, a wrong one counted."""
        rows = await self._db.execute_fetchall(
            "SELECT id, phone, code_hash, salt, expires_at, attempts FROM phone_codes WHERE resident_id = ?"
            " AND status IN ('pending', 'sent', 'unknown') ORDER BY id DESC LIMIT 1", (resident_id,))
        if not rows:
            return Checked("none")
        code_id, phone, code_hash, salt, expires_at, attempts = rows[0]
        if datetime.fromisoformat(expires_at) <= moment:
            await self._set(code_id, PhoneCodeStatus.VOID)
            return Checked("expired")
        if hmac.compare_digest(_hash(salt, phone, typed), code_hash):
            await self._set(code_id, PhoneCodeStatus.USED)
            return Checked("right", phone=phone)
        attempts += 1
        if attempts >= max_attempts:
            await self._db.execute("UPDATE phone_codes SET attempts = ?, status = 'void' WHERE id = ?",
                                   (attempts, code_id))
            return Checked("exhausted")
        await self._db.execute("UPDATE phone_codes SET attempts = ? WHERE id = ?", (attempts, code_id))
        return Checked("wrong", attempts_left=max_attempts - attempts)

    async def left_pending(self) -> list[int]:
        """Codes whose SMS was being sent when the bot stopped: whether it left is unknown (the
        code is not kept to send it again). They become 'unknown'; returns their residents."""
        rows = await self._db.execute_fetchall(
            "UPDATE phone_codes SET status = 'unknown' WHERE status = 'pending' RETURNING resident_id")
        return sorted({row[0] for row in rows})

    async def prune(self, moment: datetime) -> int:
        """Delete codes and counted SMS older than a day: no limit looks further back, and a code
        lives a day at most (``sms.code_ttl_seconds``)."""
        since = _stamp(moment - DAY)
        codes = await self._db.execute("DELETE FROM phone_codes WHERE created_at < ?", (since,))
        sent = await self._db.execute("DELETE FROM sms_sent WHERE sent_at < ?", (since,))
        return codes.rowcount + sent.rowcount

    async def _set(self, code_id: int, status: PhoneCodeStatus) -> None:
        await self._db.execute("UPDATE phone_codes SET status = ? WHERE id = ?", (status, code_id))
