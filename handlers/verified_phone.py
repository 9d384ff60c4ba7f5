"""A resident's phone number as the platforms vouch for it, and where a resident can get it vouched.

Platforms differ (``Capabilities.phone_proof``): Telegram and MAX send a contact card they mark as
the sender's own; WhatsApp's sender id is the number WhatsApp registered by an SMS to it; VK, OK
and the web chat vouch for nothing, so there the bot sends its own code by SMS
(``handlers.sms_codes``), or, with no SMS gateway configured, points to the channels that can.
Every number is kept in E.164 (``bot.phones``), so one person is one voter on every channel.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from bot.core.replies import Button
from bot.core.routing import Context
from bot.phones import e164

# The public links of the channels that vouch for a number, from the ``posters`` settings.
LINKS = {
    "telegram": ("telegram_bot", "https://t.me/{name}?start={start}"),
    "max": ("max_bot", "https://max.ru/{name}?start={start}"),
    "whatsapp": ("whatsapp_number", "https://wa.me/{name}?text=%2Fstart%20{start}"),
}


@dataclass(frozen=True)
class Elsewhere:
    """A running channel where the number can be confirmed; ``url`` "" when its name is not set."""

    channel: str
    url: str


def proof(ctx: Context) -> str:
    """How the resident's own channel vouches for a number: "contact", "sender" or ""."""
    capabilities = ctx.capabilities
    return capabilities.phone_proof if capabilities is not None else ""


def normalised(ctx: Context, phone: str) -> str | None:
    """A number as a resident or a platform wrote it, in E.164; None when it is none. Without
    "+", it is read in ``sms.default_region`` first ("8 914 …", "79141234567"), then as
    international digits ("16505551234")."""
    return e164(phone, ctx.settings.sms.default_region)


def from_sender(ctx: Context) -> str | None:
    """The sender's own number where the sender's id is that number (WhatsApp's wa_id); None
    elsewhere, and for an id that is no number (WhatsApp's business-scoped ids of users who
    hide their number behind a username)."""
    external_id = ctx.resident.external_id
    if proof(ctx) != "sender" or not external_id.isascii() or not external_id.isdigit():
        return None
    return e164("+" + external_id)


async def adopt(ctx: Context, phone: str) -> None:
    """Keep ``phone`` (E.164) as the resident's verified number."""
    await ctx.db.residents.set_phone(ctx.resident.id, phone, True)
    ctx.resident.phone, ctx.resident.phone_verified = phone, True


def elsewhere(ctx: Context, start: str) -> list[Elsewhere]:
    """The running channels, other than the resident's, where the number can be confirmed, each
    with a link that opens ``start`` (a deep link such as ``poll-park_name``) there."""
    found = []
    for channel, (setting, pattern) in LINKS.items():
        capabilities = ctx.channels.get(channel)
        if channel == ctx.resident.channel or capabilities is None or not capabilities.phone_proof:
            continue
        name = getattr(ctx.settings.posters, setting)
        found.append(Elsewhere(channel, pattern.format(name=quote(name), start=quote(start)) if name else ""))
    return found


def elsewhere_text(ctx: Context, places: list[Elsewhere]) -> str:
    if not places:
        return ctx.t("phone_check.nowhere")
    lines = [ctx.t("phone_check.elsewhere")]
    for place in places:
        title = ctx.t(f"phone_check.channel.{place.channel}")
        lines.append(ctx.t("phone_check.elsewhere_line", channel=title, url=place.url) if place.url
                     else ctx.t("phone_check.elsewhere_line_no_link", channel=title))
    return "\n".join(lines)


def elsewhere_buttons(ctx: Context, places: list[Elsewhere]) -> list[list[Button]]:
    return [[Button(label=ctx.t("phone_check.open_in", channel=ctx.t(f"phone_check.channel.{place.channel}")),
                    url=place.url)] for place in places if place.url]
