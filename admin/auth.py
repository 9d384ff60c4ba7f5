"""Logging staff in and out: argon2 passwords, server-side sessions, slowed-down guessing.

- Passwords are hashed with argon2id (argon2-cffi's defaults); hashing runs in a thread, as it
  takes tens of milliseconds of CPU on purpose. An unknown user name costs the same work as a
  wrong password, so the answer's timing does not tell which names exist.
- A session is a random token in a cookie (HttpOnly, SameSite=Strict, Secure when the public
  address is https, path /admin); the database keeps only its SHA-256, the user, the CSRF token
  and the expiry, SESSION_HOURS after login. Logging out deletes the row.
- Failed logins are counted per user name and per address. After FREE_FAILURES of them a further
  attempt is refused until a delay has passed since the last failure, doubling from one second
  up to MAX_DELAY: a guesser slows down to a crawl, a person who mistyped waits a second.
  A successful login clears the count of that name and address; a count nobody added to for
  FORGET_FAILURES_AFTER starts again, and successful logins tidy expired sessions away.

Passwords and tokens are never logged, not even in part.
"""
from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from storage.database import Database
from storage.staff import StaffSession, StaffUser

SESSION_COOKIE = "souchastie_staff"
SESSION_HOURS = 12
FREE_FAILURES = 5
MAX_DELAY = timedelta(minutes=15)
FORGET_FAILURES_AFTER = timedelta(days=1)
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
_NOBODY = _hasher.hash("an account that does not exist")


async def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"пароль должен быть не короче {MIN_PASSWORD_LENGTH} символов")
    return await asyncio.to_thread(_hasher.hash, password)


async def _verify(password_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _throttle_keys(username: str, address: str) -> list[str]:
    return [f"user:{username.strip().lower()}", f"address:{address}"]


def delay_after(failures: int) -> timedelta:
    """How long after the last failure the next attempt is heard."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - FREE_FAILURES, 20)), MAX_DELAY)


@dataclass(frozen=True)
class LoginResult:
    user: StaffUser | None = None
    token: str = ""
    wait_seconds: int = 0  # > 0: refused without checking the password, try again later


async def log_in(db: Database, username: str, password: str, address: str) -> LoginResult:
    keys = _throttle_keys(username, address)
    wait = await _wait_needed(db, keys)
    if wait > 0:
        return LoginResult(wait_seconds=wait)
    user = await db.reader.staff.user_by_name(username.strip())
    valid = await _verify(user.password_hash if user else _NOBODY, password)
    if user is None or not valid or not user.active:
        async with db.transaction() as tx:
            await tx.staff.add_failure(keys, _ago(FORGET_FAILURES_AFTER))
        return LoginResult()
    token = secrets.token_urlsafe(32)
    expires = datetime.now(timezone.utc) + timedelta(hours=SESSION_HOURS)
    async with db.transaction() as tx:
        await tx.staff.clear_failures(keys)
        await tx.staff.tidy(_ago(FORGET_FAILURES_AFTER))
        await tx.staff.open_session(token_hash(token), user.id, secrets.token_urlsafe(32), address,
                                    expires.isoformat(timespec="microseconds"))
        await tx.staff.audit(user.id, user.username, "login", "", {}, address)
    return LoginResult(user=user, token=token)


def _ago(period: timedelta) -> str:
    return (datetime.now(timezone.utc) - period).isoformat(timespec="microseconds")


async def _wait_needed(db: Database, keys: list[str]) -> int:
    worst = 0.0
    for failures, last_at in await db.reader.staff.failures(keys):
        until = datetime.fromisoformat(last_at) + delay_after(failures)
        worst = max(worst, (until - datetime.now(timezone.utc)).total_seconds())
    return int(worst) + 1 if worst > 0 else 0


async def session_of(db: Database, request: web.Request) -> StaffSession | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return await db.reader.staff.session(token_hash(token))


async def log_out(db: Database, request: web.Request, user: StaffUser | None) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return
    async with db.transaction() as tx:
        await tx.staff.close_session(token_hash(token))
        if user is not None:
            await tx.staff.audit(user.id, user.username, "logout", "", {}, request.remote or "")


def set_session_cookie(response: web.StreamResponse, token: str, secure: bool) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=SESSION_HOURS * 3600, path="/admin",
                        httponly=True, samesite="Strict", secure=secure)


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(SESSION_COOKIE, path="/admin")


async def create_account(db: Database, username: str, role: str, password: str, personal_data: bool = False) -> int:
    """For ``python -m bot admin create``: the first admin has no panel to be created in."""
    password_hash = await hash_password(password)
    async with db.transaction() as tx:
        user_id = await tx.staff.create_user(username, password_hash, role, personal_data)
        await tx.staff.audit(None, "", "user.create", username, {"role": role, "by": "command line"}, "")
    return user_id
