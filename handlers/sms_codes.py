"""One-time codes by SMS, for a resident whose messenger cannot vouch for their number.

The code is made and its salted hash stored in the resident's transaction; the SMS leaves only
once that transaction is committed (``Context.after_commit``), so a rolled-back event sends
nothing. The code itself lives only in memory until the gateway has it: if the bot stops in
between, the stored code is marked 'unknown' at the next start and the resident is told to ask
again (``after_restart``), so nothing is lost silently and no code is ever written to disk or log.
A failed send is taken back (the code voided, the SMS not counted) and the resident is told
plainly, with the buttons to try again.

Limits (``sms`` settings): a code works ``code_ttl_seconds`` for ``attempts_per_code`` entries;
a new one not sooner than ``resend_after_seconds`` after the last; at most
``codes_per_resident_per_day`` per resident and ``codes_per_phone_per_day`` per number.
"""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal

from bot.core.events import ResidentRef
from bot.core.i18n import Texts
from bot.core.payloads import encode
from bot.core.replies import Button, Reply
from bot.core.routing import Context
from bot.phones import readable
from bot.sms import SmsError, SmsGateway
from storage.ports.phone_codes import Checked, Issued
from storage.ports.repositories import Repositories

log = logging.getLogger(__name__)

JOB = "sms_code"          # the dispatcher's after-commit job that sends a code
SMS = "sms"               # payloads: sms:<poll>:resend, sms:<poll>:number
CODE_STEP = "poll:code"   # the step where the code is typed in (handlers.phone_check)

Refusal = Literal["wait", "resident_limit", "phone_limit"]


@dataclass(frozen=True)
class Refused:
    reason: Refusal
    seconds: int = 0  # for "wait": how long until a new code may be asked for


@dataclass(frozen=True)
class CodeToSend:
    """What the after-commit job needs; ``text`` holds the code and is never stored or logged."""

    issued: Issued
    phone: str
    text: str
    ref: ResidentRef
    language: str
    poll: str


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


async def request_code(ctx: Context, phone: str, poll: str) -> Refused | None:
    """Issue a code for ``phone`` and have it sent once committed; None when it is, or why not."""
    settings, moment = ctx.settings.sms, utc_now()
    usage = await ctx.db.phone_codes.usage(ctx.resident.id, phone, moment)
    if usage.last_at is not None:
        left = usage.last_at + timedelta(seconds=settings.resend_after_seconds) - moment
        if left > timedelta(0):
            return Refused("wait", max(1, round(left.total_seconds())))
    if usage.to_phone >= settings.codes_per_phone_per_day:
        return Refused("phone_limit")
    if usage.by_resident >= settings.codes_per_resident_per_day:
        return Refused("resident_limit")
    code = f"{secrets.randbelow(10 ** settings.code_length):0{settings.code_length}d}"
    issued = await ctx.db.phone_codes.issue(ctx.resident.id, phone, code, moment,
                                           timedelta(seconds=settings.code_ttl_seconds))
    ctx.after_commit(JOB, CodeToSend(issued, phone, ctx.t("phone_check.sms_text", code=code),
                                     ctx.event.ref, ctx.language, poll))
    return None


def refusal_text(ctx: Context, refused: Refused) -> str:
    return ctx.t(f"phone_check.{refused.reason}", seconds=refused.seconds)


async def check_code(ctx: Context, typed: str) -> Checked:
    return await ctx.db.phone_codes.check(ctx.resident.id, typed, utc_now(), ctx.settings.sms.attempts_per_code)


def code_buttons(texts: Texts, language: str, poll: str) -> tuple[tuple[Button, ...], ...]:
    """Ask again, another number, or cancel: under every message of the code step."""
    return ((Button(label=texts.get(language, "phone_check.resend"), payload=encode(SMS, poll, "resend")),),
            (Button(label=texts.get(language, "phone_check.other_number"), payload=encode(SMS, poll, "number")),),
            (Button(label=texts.get(language, "nav.cancel"), payload=encode("nav", "cancel")),))


class CodeSender:
    """The after-commit job: send the SMS, write down how it went, tell the resident if it did not."""

    def __init__(self, dispatcher, gateway: SmsGateway) -> None:
        self.dispatcher = dispatcher
        self.gateway = gateway

    async def __call__(self, job: CodeToSend) -> None:
        try:
            await self.gateway.send(job.phone, job.text)
        except SmsError as error:
            # The number and the text stay out of the log: a log outlives an erasure.
            log.warning("SMS с кодом не отправлено через %s (%s): %s", self.gateway.settings.provider,
                        error.reason, error.detail)
            await self._failed(job, error)
            return
        async with self.dispatcher.db.transaction() as tx:
            await tx.phone_codes.mark_sent(job.issued.code_id)

    async def _failed(self, job: CodeToSend, error: SmsError) -> None:
        texts = self.dispatcher.texts
        key = {"bad_number": "phone_check.bad_number", "unknown": "phone_check.send_unknown"}.get(
            error.reason, "phone_check.send_failed")

        async def build(tx: Repositories) -> list[tuple[ResidentRef, Reply]]:
            if error.reason == "unknown":
                await tx.phone_codes.mark_sent(job.issued.code_id, unknown=True)
            elif not await tx.phone_codes.mark_failed(job.issued):
                return []  # the resident was forgotten meanwhile, or asked for another code
            text = texts.get(job.language, key, phone=readable(job.phone))
            return [(job.ref, Reply(text=text, buttons=code_buttons(texts, job.language, job.poll)))]

        await self.dispatcher.notify(build)


async def after_restart(dispatcher) -> int:
    """At start: codes whose SMS was being sent when the bot stopped (the code is gone with the
    process) become 'unknown', and their residents still at the code step are told to ask again."""
    texts = dispatcher.texts

    async def build(tx: Repositories) -> list[tuple[ResidentRef, Reply]]:
        messages = []
        for resident_id in await tx.phone_codes.left_pending():
            resident = await tx.residents.get(resident_id)
            if resident is None or resident.state != CODE_STEP:
                continue
            language = texts.resolve(resident.language or texts.default)
            poll = str(resident.state_data.get("poll", ""))
            messages.append((ResidentRef(channel=resident.channel, external_id=resident.external_id),
                             Reply(text=texts.get(language, "phone_check.after_restart"),
                                   buttons=code_buttons(texts, language, poll))))
        return messages

    return await dispatcher.notify(build)
