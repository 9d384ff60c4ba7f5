"""The staff panel driver: a member of staff is a browser session talking to the real /admin.

``await make_staff(app, "mila", "moderator")`` creates an account the way the CLI does;
``StaffBrowser`` logs in through the login form, keeps the session cookie, and adds the CSRF
token of the session to every POST, as the panel's own forms do. ``StaffBrowser.of(app,
address="127.0.0.2")`` connects from another loopback address (Linux answers on all of
127.0.0.0/8), so tests can play people at different addresses; ``headers`` go with every request
(a reverse proxy's ``X-Forwarded-For``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from admin.auth import create_account
from bot.app import Application

PASSWORD = "a long enough password"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


async def make_staff(app: Application, username: str, role: str, *, personal_data: bool = False,
                     password: str = PASSWORD) -> int:
    return await create_account(app.db, username, role, password, personal_data)


@dataclass
class Page:
    status: int
    url: str
    text: str
    headers: Any = None
    body: bytes = b""


@dataclass
class StaffBrowser:
    base: str
    http: aiohttp.ClientSession = field(default=None)  # type: ignore[assignment]
    csrf: str = ""
    address: str = ""  # the local address to connect from; "" = the system's choice
    headers: dict[str, str] = field(default_factory=dict)

    async def __aenter__(self) -> "StaffBrowser":
        connector = aiohttp.TCPConnector(local_addr=(self.address, 0)) if self.address else None
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), connector=connector,
                                          headers=self.headers)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.http.close()

    @classmethod
    def of(cls, app: Application, *, address: str = "", headers: dict[str, str] | None = None) -> "StaffBrowser":
        return cls(f"http://127.0.0.1:{app.port}", address=address, headers=headers or {})

    async def get(self, path: str, **kwargs) -> Page:
        async with self.http.get(self.base + path, **kwargs) as response:
            body = await response.read()
            page = Page(response.status, str(response.url), body.decode("utf-8", "replace"), response.headers, body)
        found = CSRF.search(page.text)
        if found and "/admin/login" not in page.url:
            self.csrf = found.group(1)
        return page

    async def post(self, path: str, data: Any = None, *, csrf: bool = True, **kwargs) -> Page:
        """POST a form; the session's CSRF token is added unless ``csrf=False``."""
        if csrf and not self.csrf:
            await self.get("/admin/")
        if isinstance(data, aiohttp.FormData):
            if csrf:
                data.add_field("csrf", self.csrf)
            body = data
        else:
            body = list((data or {}).items()) if isinstance(data, dict) else list(data or [])
            if csrf:
                body.append(("csrf", self.csrf))
        async with self.http.post(self.base + path, data=body, **kwargs) as response:
            return Page(response.status, str(response.url), await response.text(), response.headers)

    async def login(self, username: str, password: str = PASSWORD) -> Page:
        form = await self.get("/admin/login")
        token = CSRF.search(form.text).group(1)
        self.csrf = ""
        async with self.http.post(self.base + "/admin/login",
                                  data={"csrf": token, "username": username, "password": password,
                                        "next": "/admin/"}) as response:
            page = Page(response.status, str(response.url), await response.text(), response.headers)
        found = CSRF.search(page.text)
        if page.status == 200 and found:
            self.csrf = found.group(1)
        return page
