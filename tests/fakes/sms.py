"""A fake SMS gateway on loopback that takes requests the way SMS.ru, SMSC.ru, SMS Aero (API v2)
and a generic JSON gateway do (``bot/sms.py`` describes each) and answers in their formats.

It records every SMS it accepted (``sent``) and checks the credentials each shape carries. Faults
are queued for the next requests: ``server_error`` (500), ``timeout`` (the SMS is recorded, then
the answer comes later than the bot waits, as from a gateway that got it but answered late),
``bad_number`` (the provider's own "cannot send to this number"), ``unauthorised`` (its answer
to a wrong key).
"""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import BasicAuth, web

TOKEN = "sms-test-token-123"
LOGIN = "city@example.org"
FAULTS = ("server_error", "timeout", "bad_number", "unauthorised")
PATHS = {"smsru": "/sms/send", "smsc": "/sys/send.php", "smsaero": "/v2/sms/send", "json": "/send"}


@dataclass(frozen=True)
class Sms:
    shape: str
    to: str       # as the request carried it
    text: str
    sender: str

    @property
    def code(self) -> str:
        found = re.search(r"\d{4,8}", self.text)
        return found.group(0) if found else ""


class FakeSmsGateway:
    def __init__(self, token: str = TOKEN, login: str = LOGIN) -> None:
        self.token = token
        self.login = login
        self.sent: list[Sms] = []
        self.requests = 0
        self.faults: list[str] = []
        self.slow_seconds = 3.0
        self._runner: web.AppRunner | None = None
        self.base = ""

    async def start(self) -> "FakeSmsGateway":
        app = web.Application()
        for shape, path in PATHS.items():
            app.router.add_post(path, self._handler(shape))
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, shape: str) -> str:
        return self.base + PATHS[shape]

    def fail(self, fault: str, times: int = 1) -> None:
        assert fault in FAULTS, fault
        self.faults.extend([fault] * times)

    def to(self, digits: str) -> list[Sms]:
        """What was sent to a number (written with or without "+")."""
        return [sms for sms in self.sent if sms.to.lstrip("+") == digits.lstrip("+")]

    def environment(self, shape: str = "smsru", **settings: str) -> dict[str, str]:
        """The bot's settings for this fake, as environment variables."""
        return {"SOUCHASTIE_SMS_PROVIDER": shape, "SOUCHASTIE_SMS_URL": self.url(shape),
                "SOUCHASTIE_SMS_TOKEN": self.token, "SOUCHASTIE_SMS_LOGIN": self.login,
                "SOUCHASTIE_SMS_SENDER": "Park", "SOUCHASTIE_SMS_REQUEST_TIMEOUT_SECONDS": "1",
                **{f"SOUCHASTIE_SMS_{key.upper()}": value for key, value in settings.items()}}

    # -- the wire ----------------------------------------------------------------------------

    def _handler(self, shape: str):
        async def handle(request: web.Request) -> web.StreamResponse:
            self.requests += 1
            fault = self.faults.pop(0) if self.faults else None
            if fault == "server_error":
                return web.Response(status=500, text="Internal Server Error")
            fields = await self._fields(shape, request)
            if fault == "unauthorised" or not self._authorised(shape, request, fields):
                return self._unauthorised(shape)
            if fault == "bad_number":
                return self._bad_number(shape, fields)
            sms = Sms(shape, *self._message(shape, fields))
            if not sms.to or not sms.text:
                return web.json_response({"error": "missing fields"}, status=400)
            self.sent.append(sms)
            if fault == "timeout":
                await asyncio.sleep(self.slow_seconds)
            return self._accepted(shape, sms, len(self.sent))
        return handle

    @staticmethod
    async def _fields(shape: str, request: web.Request) -> dict[str, Any]:
        if shape == "json":
            try:
                body = await request.json()
            except ValueError:
                return {}
            return body if isinstance(body, dict) else {}
        return {**request.query, **(await request.post())}

    def _authorised(self, shape: str, request: web.Request, fields: dict[str, Any]) -> bool:
        match shape:
            case "smsru":
                return fields.get("api_id") == self.token
            case "smsc":
                return fields.get("apikey") == self.token
            case "smsaero":
                try:
                    auth = BasicAuth.decode(request.headers.get("Authorization", ""))
                except ValueError:
                    return False
                return (auth.login, auth.password) == (self.login, self.token)
            case _:
                return request.headers.get("Authorization") == f"Bearer {self.token}"

    @staticmethod
    def _message(shape: str, fields: dict[str, Any]) -> tuple[str, str, str]:
        match shape:
            case "smsru":
                return fields.get("to", ""), fields.get("msg", ""), fields.get("from", "")
            case "smsc":
                return fields.get("phones", ""), fields.get("mes", ""), fields.get("sender", "")
            case "smsaero":
                return fields.get("number", ""), fields.get("text", ""), fields.get("sign", "")
            case _:
                return str(fields.get("to", "")), str(fields.get("text", "")), str(fields.get("sender", ""))

    @staticmethod
    def _accepted(shape: str, sms: Sms, number: int) -> web.Response:
        match shape:
            case "smsru":
                return web.json_response({"status": "OK", "status_code": 100, "balance": 100.5,
                                          "sms": {sms.to: {"status": "OK", "status_code": 100,
                                                           "sms_id": f"000000-{number}"}}})
            case "smsc":
                return web.json_response({"id": number, "cnt": 1})
            case "smsaero":
                return web.json_response({"success": True, "message": None,
                                          "data": {"id": number, "number": sms.to, "text": sms.text, "status": 8}})
            case _:
                return web.json_response({"id": str(number)}, status=201)

    @staticmethod
    def _unauthorised(shape: str) -> web.Response:
        match shape:
            case "smsru":
                return web.json_response({"status": "ERROR", "status_code": 200, "status_text": "Неправильный api_id"})
            case "smsc":
                return web.json_response({"error": "authorise error", "error_code": 2})
            case "smsaero":
                return web.json_response({"success": False, "message": "Unauthorized", "data": None}, status=401)
            case _:
                return web.json_response({"error": "unauthorised"}, status=401)

    @staticmethod
    def _bad_number(shape: str, fields: dict[str, Any]) -> web.Response:
        match shape:
            case "smsru":
                to = fields.get("to", "")
                return web.json_response({"status": "OK", "status_code": 100, "sms": {to: {
                    "status": "ERROR", "status_code": 207, "status_text": "На этот номер нельзя отправлять"}}})
            case "smsc":
                return web.json_response({"error": "invalid number", "error_code": 7})
            case "smsaero":
                return web.json_response({"success": False, "message": "Validation error.",
                                          "data": {"number": ["Invalid number"]}})
            case _:
                return web.json_response({"error": "bad number"}, status=422)
