"""Staff accounts, for admins: create, change role, allow personal data, block, set a password.

Every change is in the audit log. An admin cannot take the admin role from, or block, their own
account, so the panel is never left without someone who can manage it.
"""
from __future__ import annotations

import re
import sqlite3

from aiohttp import web

from admin import auth
from admin.app import panel, redirect, render
from admin.audit import record
from admin.numbers import path_id
from admin.roles import ROLE_TITLES, USERS, current_user, require
from storage.ports.staff import ROLES
from storage.statuses import StaffRole

routes = web.RouteTableDef()
USERNAME = re.compile(r"\A[A-Za-z0-9_.@-]{2,64}\Z")  # \Z, not $: "$" also matches before a final newline


async def _page(request: web.Request, *, status: int = 200, error: str = "") -> web.Response:
    users = await panel(request).db.reader.staff.users()
    return render(request, "users.html", status=status, users=users, roles=ROLE_TITLES, error=error)


@routes.get("/users")
@require(USERS)
async def users_page(request: web.Request) -> web.StreamResponse:
    return await _page(request)


@routes.post("/users")
@require(USERS)
async def create_user(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    username, role = str(form.get("username", "")).strip(), str(form.get("role", ""))
    if not USERNAME.match(username) or role not in ROLES:
        return await _page(request, status=400, error="Имя: латинские буквы, цифры, . _ @ -; роль из списка.")
    try:
        password_hash = await auth.hash_password(str(form.get("password", "")))
    except ValueError as error:
        return await _page(request, status=400, error=f"Пароль не подходит: {error}.")
    try:
        async with panel(request).db.transaction() as tx:
            await tx.staff.create_user(username, password_hash, role, form.get("personal_data") == "on")
            await record(tx, request, "user.create", username, {"role": role})
    except sqlite3.IntegrityError:
        return await _page(request, status=409, error=f"Имя «{username}» уже занято.")
    raise redirect("/admin/users", "created")


@routes.post("/users/{user_id:[0-9]+}")
@require(USERS)
async def update_user(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    user_id = path_id(request, "user_id")
    db = panel(request).db
    target = await db.reader.staff.user(user_id)
    if target is None:
        raise web.HTTPNotFound(text="Нет такого сотрудника.")
    role, active = str(form.get("role", target.role)), form.get("active") == "on"
    if role not in ROLES:
        return await _page(request, status=400, error="Роль из списка.")
    if target.id == current_user(request).id and (role != StaffRole.ADMIN or not active):
        return await _page(request, status=400, error="Свою роль администратора и свой доступ снять нельзя.")
    password = str(form.get("password", ""))
    try:
        password_hash = await auth.hash_password(password) if password else None
    except ValueError as error:
        return await _page(request, status=400, error=f"Пароль не подходит: {error}.")
    personal_data = form.get("personal_data") == "on"
    async with db.transaction() as tx:
        await tx.staff.update_user(user_id, role=role, personal_data=personal_data, active=active)
        if password_hash:
            await tx.staff.set_password(user_id, password_hash)
        await record(tx, request, "user.update", target.username,
                     {"role": role, "personal_data": personal_data, "active": active,
                      "password_changed": bool(password_hash)})
    raise redirect("/admin/users", "saved")
