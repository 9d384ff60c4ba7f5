"""The step before a phone-verified poll's ballot: confirming the resident's number.

    poll:<key> ─▶ [WhatsApp: the sender's number, at once] ─▶ choose
              └▶ poll:phone ─┬ contact card (Telegram, MAX) ──────────────────────────▶ choose
                             ├ typed number ─▶ poll:code ─ code from the SMS ──────────▶ choose
                             │                  ├ sms:<key>:resend  (a new code, after a pause)
                             │                  └ sms:<key>:number  (back to poll:phone)
                             └ no SMS gateway: the channels that can confirm it, «В меню»

Which way a resident gets is decided by what their channel can do (``Capabilities.phone_proof``)
and whether ``sms.provider`` is set, never by the channel's name.
"""
from __future__ import annotations

import re

from bot.core.events import Kind
from bot.core.filters import button, kind, state_is
from bot.core.replies import Button
from bot.core.routing import Context, Router
from bot.phones import can_receive_sms, readable
from handlers import sms_codes, verified_phone
from handlers.keyboards import back_cancel, to_menu
from handlers.polls import PHONE, open_poll
from handlers.sms_codes import CODE_STEP as CODE, SMS

router = Router("phone_check")

SEPARATORS = re.compile(r"[ \t\-]")
DIGITS = re.compile(r"[0-9]+")


def _poll(ctx: Context) -> str:
    return str(ctx.data.get("poll", ""))


def _asks_by_sms(ctx: Context) -> bool:
    return verified_phone.proof(ctx) != "contact" and ctx.settings.sms.enabled


# -- asking for the number ------------------------------------------------------------------

@router.prompt(PHONE)
async def ask_phone(ctx: Context) -> None:
    needed = ctx.t("phone_check.needed")
    if verified_phone.proof(ctx) == "contact":
        ctx.say(f"{needed} {ctx.t('phone_check.contact_prompt')}",
                [[Button(label=ctx.t("phone_check.contact_button"), request="contact")], back_cancel(ctx, back=False)])
    elif _asks_by_sms(ctx):
        ctx.say(f"{needed} {ctx.t('phone_check.number_prompt')}", [back_cancel(ctx, back=False)])
    else:
        places = verified_phone.elsewhere(ctx, f"poll-{_poll(ctx)}")
        ctx.say(f"{needed}\n{verified_phone.elsewhere_text(ctx, places)}",
                [*verified_phone.elsewhere_buttons(ctx, places), to_menu(ctx)])


@router.on(state_is(PHONE), kind(Kind.CONTACT), lambda ctx: verified_phone.proof(ctx) == "contact")
async def got_contact(ctx: Context) -> None:
    contact = ctx.event.contact
    if not contact.verified:
        ctx.say(ctx.t("phone_check.contact_unverified"))
        await ask_phone(ctx)
        return
    phone = verified_phone.normalised(ctx, contact.phone)
    if phone is None:
        ctx.say(ctx.t("phone_check.contact_unreadable"))
        await ask_phone(ctx)
        return
    await verified_phone.adopt(ctx, phone)
    await open_poll(ctx, _poll(ctx))


@router.on(state_is(PHONE), kind(Kind.TEXT), _asks_by_sms)
async def got_number(ctx: Context) -> None:
    phone = verified_phone.normalised(ctx, ctx.event.text)
    if phone is None:
        ctx.say(ctx.t("phone_check.number_unreadable"), [back_cancel(ctx, back=False)])
        return
    if not can_receive_sms(phone):
        ctx.say(ctx.t("phone_check.number_not_mobile"), [back_cancel(ctx, back=False)])
        return
    await _send_code(ctx, phone)


async def _send_code(ctx: Context, phone: str) -> None:
    if not ctx.settings.sms.enabled:  # switched off since the code step began
        ctx.resident.state_data = {"poll": _poll(ctx)}
        ctx.goto(PHONE)
        return
    refused = await sms_codes.request_code(ctx, phone, _poll(ctx))
    if refused is None:
        ctx.resident.state_data = {"poll": _poll(ctx), "phone": phone}
        ctx.goto(CODE)
    elif refused.reason == "wait":
        ctx.say(sms_codes.refusal_text(ctx, refused), _code_buttons(ctx) if ctx.state == CODE else
                [back_cancel(ctx, back=False)])
    else:
        ctx.say(sms_codes.refusal_text(ctx, refused))
        ctx.goto("", clear=True)


# -- the code from the SMS ------------------------------------------------------------------

def _code_buttons(ctx: Context):
    return sms_codes.code_buttons(ctx.texts, ctx.language, _poll(ctx))


@router.prompt(CODE)
async def ask_code(ctx: Context) -> None:
    minutes = max(1, round(ctx.settings.sms.code_ttl_seconds / 60))
    ctx.say(ctx.t("phone_check.code_prompt", phone=readable(ctx.data.get("phone", "")),
                  length=ctx.settings.sms.code_length, minutes=minutes), _code_buttons(ctx))


@router.on(state_is(CODE), kind(Kind.TEXT))
async def got_code(ctx: Context) -> None:
    length = ctx.settings.sms.code_length
    # "123 456", or the whole SMS pasted back: the one run of digits of the code's length.
    runs = DIGITS.findall(SEPARATORS.sub("", ctx.event.text))
    if len(runs) != 1 or len(runs[0]) != length:
        ctx.say(ctx.t("phone_check.code_format", length=length), _code_buttons(ctx))
        return
    typed = runs[0]
    checked = await sms_codes.check_code(ctx, typed)
    match checked.outcome:
        case "right":
            await verified_phone.adopt(ctx, checked.phone)
            ctx.say(ctx.t("phone_check.confirmed", phone=readable(checked.phone)))
            await open_poll(ctx, _poll(ctx))
        case "wrong":
            ctx.say(ctx.t("phone_check.code_wrong", left=checked.attempts_left), _code_buttons(ctx))
        case outcome:
            ctx.say(ctx.t(f"phone_check.code_{outcome}"), _code_buttons(ctx))


@router.on(state_is(CODE), button(SMS), lambda ctx: ctx.payload.arg(0) == _poll(ctx))
async def code_button(ctx: Context, payload) -> None:
    if payload.arg(1) == "number":
        ctx.resident.state_data = {"poll": _poll(ctx)}
        ctx.goto(PHONE)
    elif payload.arg(1) == "resend" and ctx.data.get("phone"):
        await _send_code(ctx, ctx.data["phone"])
    else:
        await ask_code(ctx)


@router.on(state_is(PHONE, CODE), button("nav", "cancel"))
async def cancel(ctx: Context, payload) -> None:
    ctx.goto("", clear=True)
