"""One SMS through the operator's SMS gateway, over its HTTP API (the ``sms`` settings).

Russian SMS gateways each take their own request. Rather than a request template an operator
would have to get exactly right, the bot knows the shapes of the best-known ones and one generic
shape for anything else; ``sms.provider`` picks one, ``sms.url`` overrides its address:

``smsru``   SMS.ru: POST https://sms.ru/sms/send, form ``api_id`` (the token), ``to`` (digits),
            ``msg``, ``from`` (the sender, if set), ``json=1``. The answer is 200 with
            ``{"status": "OK", "sms": {"<digits>": {"status": "OK", "sms_id": …}}}``, or a
            ``status_code`` for what failed (202 and 207: a number that cannot be sent to).
``smsc``    SMSC.ru: POST https://smsc.ru/sys/send.php, form ``apikey`` (the token), ``phones``,
            ``mes``, ``sender``, ``fmt=3`` (JSON), ``charset=utf-8``. The answer is ``{"id": …,
            "cnt": 1}`` or ``{"error": …, "error_code": N}`` (7 and 8: a bad or unreachable number).
``smsaero`` SMS Aero, API v2: POST https://gate.smsaero.ru/v2/sms/send, HTTP Basic
            ``sms.login``:token, form ``number``, ``text``, ``sign``. The answer is
            ``{"success": true, "data": {"id": …}}`` or ``{"success": false, "message": …}``,
            which does not say whether the number was at fault: every refusal is ``failed``.
``json``    any other gateway, through a small adapter of the operator's: POST ``sms.url`` with
            ``{"to": "+7…", "text": …, "sender": …}`` and ``Authorization: Bearer <token>``. 2xx
            is sent; 400 and 422 mean the number cannot be sent to; anything else failed.

Every failure becomes one ``SmsError`` whose ``reason`` the resident's answer depends on:
``bad_number`` (check the number), ``failed`` (nothing was sent: try again), ``unknown`` (a
time-out after the request left: it may arrive). One attempt per code, no retries: the resident
sees the failure and asks again, which is better than a second SMS with another code arriving
late. The text of an SMS holds a code: it is never logged, nor is the number.
"""
from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Literal

import aiohttp

from bot.config import SmsSettings

Reason = Literal["bad_number", "failed", "unknown"]


class SmsError(Exception):
    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Request:
    url: str
    form: dict[str, str] | None = None
    body: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    auth: aiohttp.BasicAuth | None = None


@dataclass(frozen=True)
class Shape:
    default_url: str
    build: Callable[[SmsSettings, str, str, str], Request]   # settings, url, phone (E.164), text
    read: Callable[[int, Any, str], str]                     # status, JSON answer, phone → message id


def _token(settings: SmsSettings) -> str:
    return settings.token.get_secret_value() if settings.token is not None else ""


def _optional(**fields: str) -> dict[str, str]:
    return {key: value for key, value in fields.items() if value}


# -- SMS.ru ------------------------------------------------------------------------------------

SMSRU_BAD_NUMBER = {202, 207}


def _smsru_request(settings: SmsSettings, url: str, phone: str, text: str) -> Request:
    return Request(url, form={"api_id": _token(settings), "to": phone.lstrip("+"), "msg": text, "json": "1",
                              **_optional(**{"from": settings.sender})})


def _smsru_read(status: int, answer: Any, phone: str) -> str:
    _need_ok_json(status, answer)
    if answer.get("status") != "OK":
        raise SmsError("failed", f"SMS.ru status_code {answer.get('status_code')}")
    one = (answer.get("sms") or {}).get(phone.lstrip("+")) or {}
    if one.get("status") == "OK":
        return str(one.get("sms_id", ""))
    code = one.get("status_code")
    raise SmsError("bad_number" if code in SMSRU_BAD_NUMBER else "failed", f"SMS.ru status_code {code}")


# -- SMSC.ru -----------------------------------------------------------------------------------

SMSC_BAD_NUMBER = {7, 8}


def _smsc_request(settings: SmsSettings, url: str, phone: str, text: str) -> Request:
    return Request(url, form={"apikey": _token(settings), "phones": phone, "mes": text, "fmt": "3",
                              "charset": "utf-8", **_optional(sender=settings.sender)})


def _smsc_read(status: int, answer: Any, phone: str) -> str:
    _need_ok_json(status, answer)
    if "error_code" in answer or "error" in answer:
        code = answer.get("error_code")
        raise SmsError("bad_number" if code in SMSC_BAD_NUMBER else "failed", f"SMSC error_code {code}")
    if "id" not in answer:
        raise SmsError("failed", "SMSC answered without an id")
    return str(answer["id"])


# -- SMS Aero ----------------------------------------------------------------------------------

def _smsaero_request(settings: SmsSettings, url: str, phone: str, text: str) -> Request:
    return Request(url, form={"number": phone.lstrip("+"), "text": text, **_optional(sign=settings.sender)},
                   auth=aiohttp.BasicAuth(settings.login, _token(settings)))


def _smsaero_read(status: int, answer: Any, phone: str) -> str:
    if status in (401, 403):
        raise SmsError("failed", f"SMS Aero refused the login (HTTP {status})")
    _need_ok_json(status, answer)
    if answer.get("success") is not True:
        # Its words may quote the number: digits are left out of what staff read in the log.
        raise SmsError("failed", "SMS Aero: " + re.sub(r"\d{4,}", "…", str(answer.get("message")))[:200])
    return str((answer.get("data") or {}).get("id", ""))


# -- a generic JSON gateway --------------------------------------------------------------------

def _json_request(settings: SmsSettings, url: str, phone: str, text: str) -> Request:
    return Request(url, body={"to": phone, "text": text, "sender": settings.sender},
                   headers={"Authorization": f"Bearer {_token(settings)}"})


def _json_read(status: int, answer: Any, phone: str) -> str:
    if 200 <= status < 300:
        return str(answer.get("id", "")) if isinstance(answer, dict) else ""
    raise SmsError("bad_number" if status in (400, 422) else "failed", f"HTTP {status}")


def _need_ok_json(status: int, answer: Any) -> None:
    if status != 200:
        raise SmsError("failed", f"HTTP {status}")
    if not isinstance(answer, dict):
        raise SmsError("failed", "the answer is not a JSON object")


SHAPES: dict[str, Shape] = {
    "smsru": Shape("https://sms.ru/sms/send", _smsru_request, _smsru_read),
    "smsc": Shape("https://smsc.ru/sys/send.php", _smsc_request, _smsc_read),
    "smsaero": Shape("https://gate.smsaero.ru/v2/sms/send", _smsaero_request, _smsaero_read),
    "json": Shape("", _json_request, _json_read),
}


class SmsGateway:
    """The configured provider; one HTTP session for every SMS, opened at the first."""

    def __init__(self, settings: SmsSettings) -> None:
        if settings.provider not in SHAPES:
            raise ValueError("sms.provider is not set")
        self.settings = settings
        self.shape = SHAPES[settings.provider]
        self.url = settings.url or self.shape.default_url
        self._session: aiohttp.ClientSession | None = None

    async def send(self, phone: str, text: str) -> str:
        """Send ``text`` to ``phone`` (E.164); the provider's message id. Raises ``SmsError``."""
        request = self.shape.build(self.settings, self.url, phone, text)
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.settings.request_timeout_seconds))
        try:
            async with self._session.post(request.url, data=request.form, json=request.body,
                                          headers=request.headers, auth=request.auth) as response:
                raw = await response.read()
                status = response.status
        except asyncio.TimeoutError as error:
            raise SmsError("unknown", f"no answer within {self.settings.request_timeout_seconds} s") from error
        except aiohttp.ClientError as error:
            raise SmsError("failed", f"{type(error).__name__}: {error}") from error
        if status >= 500:
            raise SmsError("failed", f"HTTP {status}")
        try:
            answer = json.loads(raw) if raw.strip() else None
        except ValueError:
            answer = None
        return self.shape.read(status, answer, phone)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
