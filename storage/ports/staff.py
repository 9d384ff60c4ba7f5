"""Staff accounts, sessions, failed logins and the audit log."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from storage.statuses import StaffRole

ROLES = tuple(StaffRole)


@dataclass(frozen=True)
class StaffUser:
    id: int
    username: str
    password_hash: str
    role: str
    personal_data: bool
    active: bool
    created_at: str
    last_login_at: str | None


@dataclass(frozen=True)
class StaffSession:
    user: StaffUser
    csrf: str
    expires_at: str


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    username: str
    action: str
    subject: str
    details: dict[str, Any]
    address: str


class StaffStore(Protocol):
    """What Staff offers (storage/staff.py is the SQLite one)."""

    async def create_user(self, username: str, password_hash: str, role: str,
                          personal_data: bool = False) -> int: ...

    async def user_by_name(self, username: str) -> StaffUser | None: ...

    async def user(self, user_id: int) -> StaffUser | None: ...

    async def users(self) -> list[StaffUser]: ...

    async def update_user(self, user_id: int, *, role: str, personal_data: bool, active: bool) -> None: ...

    async def set_password(self, user_id: int, password_hash: str) -> None:
        """A new password ends every session of the account."""

    async def open_session(self, token_hash: str, user_id: int, csrf: str, address: str,
                           expires_at: str) -> None: ...

    async def session(self, token_hash: str) -> StaffSession | None:
        """The live session of an active account; an expired one is as good as none."""

    async def close_session(self, token_hash: str) -> None: ...

    async def failures(self, keys: list[str]) -> dict[str, tuple[int, str]]:
        """(failures, last failure) of each key that has any."""

    async def add_failure(self, keys: list[str], forget_before: str) -> None:
        """Count one more failure; a count whose last failure is older than ``forget_before``
        starts again from one, so old typos do not slow a person down for ever."""

    async def take_back_failure(self, key: str) -> None:
        """Uncount one failure (a try counted before its password was checked, which was right)."""

    async def tidy(self, forget_before: str) -> None:
        """Drop expired sessions and failure counts nobody added to for long."""

    async def clear_failures(self, keys: list[str]) -> None: ...

    async def audit(self, user_id: int | None, username: str, action: str, subject: str,
                    details: dict[str, Any], address: str) -> None: ...

    async def audit_entries(self, *, username: str = "", action: str = "", before_id: int | None = None,
                            limit: int = 100) -> list[AuditEntry]: ...
