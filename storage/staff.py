"""Staff accounts, their sessions, failed logins and the audit log: the panel's own tables.

Nothing here hashes or checks a password: admin/auth.py does, so that this module stays plain SQL.
"""
from __future__ import annotations

import json
from typing import Any

from storage.clock import now
from storage.ports.staff import ROLES, AuditEntry, StaffSession, StaffUser
from storage.sql import SqlConnection

__all__ = [  # the values beside their port, as before they moved
    "Staff", "ROLES", "AuditEntry", "StaffSession", "StaffUser",
]

_USER_COLUMNS = "u.id, u.username, u.password_hash, u.role, u.personal_data, u.active, u.created_at, u.last_login_at"


def _user(row) -> StaffUser:
    return StaffUser(row[0], row[1], row[2], row[3], bool(row[4]), bool(row[5]), row[6], row[7])


class Staff:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    # -- accounts ------------------------------------------------------------------------------

    async def create_user(self, username: str, password_hash: str, role: str, personal_data: bool = False) -> int:
        rows = await self._db.execute_fetchall(
            "INSERT INTO staff_users (username, password_hash, role, personal_data, created_at)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id", (username, password_hash, role, int(personal_data), now()))
        return rows[0][0]

    async def user_by_name(self, username: str) -> StaffUser | None:
        rows = await self._db.execute_fetchall(
            f"SELECT {_USER_COLUMNS} FROM staff_users u WHERE u.username = ?", (username,))
        return _user(rows[0]) if rows else None

    async def user(self, user_id: int) -> StaffUser | None:
        rows = await self._db.execute_fetchall(f"SELECT {_USER_COLUMNS} FROM staff_users u WHERE u.id = ?", (user_id,))
        return _user(rows[0]) if rows else None

    async def users(self) -> list[StaffUser]:
        rows = await self._db.execute_fetchall(f"SELECT {_USER_COLUMNS} FROM staff_users u ORDER BY u.username")
        return [_user(r) for r in rows]

    async def update_user(self, user_id: int, *, role: str, personal_data: bool, active: bool) -> None:
        await self._db.execute(
            "UPDATE staff_users SET role = ?, personal_data = ?, active = ? WHERE id = ?",
            (role, int(personal_data), int(active), user_id))
        if not active:
            await self._db.execute("DELETE FROM staff_sessions WHERE user_id = ?", (user_id,))

    async def set_password(self, user_id: int, password_hash: str) -> None:
        """A new password ends every session of the account."""
        await self._db.execute("UPDATE staff_users SET password_hash = ? WHERE id = ?", (password_hash, user_id))
        await self._db.execute("DELETE FROM staff_sessions WHERE user_id = ?", (user_id,))

    # -- sessions ------------------------------------------------------------------------------

    async def open_session(self, token_hash: str, user_id: int, csrf: str, address: str, expires_at: str) -> None:
        stamp = now()
        await self._db.execute(
            "INSERT INTO staff_sessions (token_hash, user_id, csrf, address, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?)", (token_hash, user_id, csrf, address, stamp, expires_at))
        await self._db.execute("UPDATE staff_users SET last_login_at = ? WHERE id = ?", (stamp, user_id))

    async def session(self, token_hash: str) -> StaffSession | None:
        """The live session of an active account; an expired one is as good as none."""
        rows = await self._db.execute_fetchall(
            f"SELECT {_USER_COLUMNS}, s.csrf, s.expires_at FROM staff_sessions s"
            " JOIN staff_users u ON u.id = s.user_id"
            " WHERE s.token_hash = ? AND s.expires_at > ? AND u.active = 1", (token_hash, now()))
        return StaffSession(_user(rows[0]), rows[0][8], rows[0][9]) if rows else None

    async def close_session(self, token_hash: str) -> None:
        await self._db.execute("DELETE FROM staff_sessions WHERE token_hash = ?", (token_hash,))

    # -- failed logins -------------------------------------------------------------------------

    async def failures(self, keys: list[str]) -> dict[str, tuple[int, str]]:
        """(failures, last failure) of each key that has any."""
        marks = ", ".join("?" for _ in keys)
        rows = await self._db.execute_fetchall(
            f"SELECT key, failures, last_at FROM login_failures WHERE key IN ({marks})", keys)
        return {r[0]: (r[1], r[2]) for r in rows}

    async def add_failure(self, keys: list[str], forget_before: str) -> None:
        """Count one more failure; a count whose last failure is older than ``forget_before``
        starts again from one, so old typos do not slow a person down for ever."""
        stamp = now()
        await self._db.executemany(
            "INSERT INTO login_failures (key, failures, last_at) VALUES (?, 1, ?)"
            " ON CONFLICT (key) DO UPDATE SET last_at = excluded.last_at,"
            " failures = CASE WHEN login_failures.last_at < ? THEN 1 ELSE login_failures.failures + 1 END",
            [(key, stamp, forget_before) for key in keys])

    async def take_back_failure(self, key: str) -> None:
        """Uncount one failure (a try counted before its password was checked, which was right)."""
        await self._db.execute("UPDATE login_failures SET failures = failures - 1 WHERE key = ?", (key,))
        await self._db.execute("DELETE FROM login_failures WHERE key = ? AND failures <= 0", (key,))

    async def tidy(self, forget_before: str) -> None:
        """Drop expired sessions and failure counts nobody added to for long."""
        await self._db.execute("DELETE FROM staff_sessions WHERE expires_at <= ?", (now(),))
        await self._db.execute("DELETE FROM login_failures WHERE last_at < ?", (forget_before,))

    async def clear_failures(self, keys: list[str]) -> None:
        await self._db.executemany("DELETE FROM login_failures WHERE key = ?", [(key,) for key in keys])

    # -- audit log -----------------------------------------------------------------------------

    async def audit(self, user_id: int | None, username: str, action: str, subject: str,
                    details: dict[str, Any], address: str) -> None:
        await self._db.execute(
            "INSERT INTO audit_log (at, user_id, username, action, subject, details, address)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (now(), user_id, username, action, subject, json.dumps(details, ensure_ascii=False), address))

    async def audit_entries(self, *, username: str = "", action: str = "", before_id: int | None = None,
                            limit: int = 100) -> list[AuditEntry]:
        rows = await self._db.execute_fetchall(
            "SELECT id, at, username, action, subject, details, address FROM audit_log"
            " WHERE (? = '' OR username = ?) AND (? = '' OR action LIKE ? || '%')"
            " AND (CAST(? AS INTEGER) IS NULL OR id < ?)"
            " ORDER BY id DESC LIMIT ?",
            (username, username, action, action, before_id, before_id, limit))
        return [AuditEntry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6]) for r in rows]
