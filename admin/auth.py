"""Logging staff in and out: argon2 passwords, server-side sessions, slowed-down guessing.

- Passwords are hashed with argon2id (argon2-cffi's defaults); hashing runs in a thread, as it
  takes tens of milliseconds of CPU on purpose. An unknown user name costs the same work as a
  wrong password, so the answer's timing does not tell which names exist.
- A session is a random token in a cookie (HttpOnly, SameSite=Strict, Secure when the public
  address is https, path /admin); the database keeps only its SHA-256, the user, the CSRF token
  and the expiry, SESSION_HOURS after login. Logging out deletes the row.
- Failed logins are counted per name from one address and per address over all names, never
  per name alone, so that guessing slows the guesser down without keeping the real person out
  (admin/throttle.py). The address is the client's (bot/addresses.py: X-Forwarded-For only from
  ``server.trusted_proxies``). Successful logins tidy expired sessions and old counts away.

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

from admin.throttle import LoginThrottle
from storage.ports.repositories import Database
from storage.ports.staff import StaffSession, StaffUser

SESSION_COOKIE = "souchastie_staff"
SESSION_HOURS = 12
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


@dataclass(frozen=True)
class LoginResult:
    user: StaffUser | None = None
    token: str = ""
    wait_seconds: int = 0  # > 0: refused without checking the password, try again later


async def log_in(db: Database, throttle: LoginThrottle, username: str, password: str, address: str) -> LoginResult:
    async with db.transaction() as tx:
        wait = await throttle.admit(tx.staff, username, address)  # heard now: counted as a failure already
    if wait > 0:
        return LoginResult(wait_seconds=wait)
    user = await db.reader.staff.user_by_name(username.strip())
    valid = await _verify(user.password_hash if user else _NOBODY, password)
    if user is None or not valid or not user.active:
        return LoginResult()
    token = secrets.token_urlsafe(32)
    expires = datetime.now(timezone.utc) + timedelta(hours=SESSION_HOURS)
    async with db.transaction() as tx:
        await throttle.succeeded(tx.staff, username, address)
        await tx.staff.tidy(throttle.forget_before())
        await tx.staff.open_session(token_hash(token), user.id, secrets.token_urlsafe(32), address,
                                    expires.isoformat(timespec="microseconds"))
        await tx.staff.audit(user.id, user.username, "login", "", {}, address)
    return LoginResult(user=user, token=token)


async def session_of(db: Database, request: web.Request) -> StaffSession | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return await db.reader.staff.session(token_hash(token))


async def log_out(db: Database, request: web.Request, user: StaffUser | None, address: str) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return
    async with db.transaction() as tx:
        await tx.staff.close_session(token_hash(token))
        if user is not None:
            await tx.staff.audit(user.id, user.username, "logout", "", {}, address)


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
