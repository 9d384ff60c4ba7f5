"""A member of staff using the panel over HTTP: logs in through the real login form and sends
each POST with the CSRF token of the page it came from, as a browser would."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import aiohttp

from admin.auth import create_account
from bot.app import Application

TOKEN = re.compile(r'name="csrf" value="([^"]+)"')
PASSWORD = "a long test password"


@dataclass
class StaffMember:
    base: str
    http: aiohttp.ClientSession
    csrf: str = ""
    pages: list[str] = field(default_factory=list)

    async def get(self, path: str, **params: str) -> tuple[int, str]:
        async with self.http.get(self.base + path, params=params) as response:
            text = await response.text()
            self._remember(text)
            return response.status, text

    async def download(self, path: str, **params: str) -> tuple[int, dict[str, str], bytes]:
        async with self.http.get(self.base + path, params=params) as response:
            return response.status, dict(response.headers), await response.read()

    async def post(self, path: str, data: dict | list, with_token: bool = True) -> tuple[int, str]:
        items = list(data.items()) if isinstance(data, dict) else list(data)
        if with_token:
            items.append(("csrf", self.csrf))
        async with self.http.post(self.base + path, data=items) as response:
            text = await response.text()
            self._remember(text)
            return response.status, text

    def _remember(self, text: str) -> None:
        found = TOKEN.search(text)
        if found:
            self.csrf = found.group(1)

    async def close(self) -> None:
        await self.http.close()


async def log_in(app: Application, username: str, role: str, personal_data: bool = False) -> StaffMember:
    """Create the account and log in with it through the login page."""
    await create_account(app.db, username, role, PASSWORD, personal_data)
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    member = StaffMember(f"http://127.0.0.1:{app.port}", http)
    await member.get("/admin/login")
    status, text = await member.post("/admin/login", {"username": username, "password": PASSWORD,
                                                      "next": "/admin/"})
    assert status == 200 and "Выйти" in text, text[:500]
    return member
