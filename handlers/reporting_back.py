"""«Что стало с моими идеями?»: every proposal of the resident with its status now and the staff's
latest answer, a page at a time; the main menu's button, /ideas, or the question typed.

    (menu) ─menu:ideas | /ideas | «что стало с моими идеями»─▶ page 1 ─ideas:page:N─▶ page N ▶ (menu)

The same lines make the digest that authors get on a schedule (``broadcasts.digests``, the job
registered here), so what a resident reads when asking is what the digest told them.
"""
from __future__ import annotations

import re

from bot.core.events import Kind
from bot.core.filters import button, command, declares
from bot.core.payloads import encode
from bot.core.plugins import Feature, Job
from bot.core.replies import Button
from bot.core.routing import Context, Router
from broadcasts.digests import news_lines, send_due_digests
from handlers.idle import at_menu
from handlers.keyboards import to_menu

router = Router("reporting back")

PAGE = "ideas"
_WORDS = re.compile(r"[^\w]+")


def _plain(text: str) -> str:
    return " ".join(_WORDS.sub(" ", text.casefold()).split())


def asked_in_words(ctx: Context) -> bool:
    """The question typed, in the resident's language, without its emoji and punctuation."""
    return ctx.event.kind is Kind.TEXT and _plain(ctx.event.text) == _plain(ctx.t("ideas.question"))


@router.on(command("ideas"))
async def by_command(ctx: Context, argument: str) -> None:
    await show_page(ctx, 1)


@router.on(at_menu, button("menu", "ideas"))
async def from_menu(ctx: Context, payload) -> None:
    await show_page(ctx, 1)


@router.on(at_menu, declares(asked_in_words, {Kind.TEXT}))
async def in_words(ctx: Context) -> None:
    await show_page(ctx, 1)


@router.on(at_menu, button(PAGE, "page"))
async def next_page(ctx: Context, payload) -> None:
    number = payload.arg(1)
    await show_page(ctx, int(number) if number.isdigit() and int(number) > 0 else 1)


async def show_page(ctx: Context, number: int) -> None:
    size = ctx.settings.digests.page_size
    total = await ctx.db.digests.count_proposals(ctx.resident.id)
    pages = max(1, -(-total // size))
    number = min(number, pages)
    if not total:
        ctx.say(ctx.t("ideas.none"), [[Button(label=ctx.t("menu.propose"), payload=encode("menu", "propose"))],
                                      to_menu(ctx)])
        ctx.goto("")
        return
    items = await ctx.db.digests.outcomes(ctx.resident.id, size, (number - 1) * size)
    header = ctx.t("ideas.header", count=total) if pages == 1 else ctx.t("ideas.header_page", count=total,
                                                                        page=number, pages=pages)
    rows = []
    if number < pages:
        rows.append([Button(label=ctx.t("ideas.next"), payload=encode(PAGE, "page", number + 1))])
    if number > 1:
        rows.append([Button(label=ctx.t("ideas.previous"), payload=encode(PAGE, "page", number - 1))])
    ctx.say("\n".join([header, *news_lines(ctx.texts, ctx.language, ctx.settings, items)]), [*rows, to_menu(ctx)])
    ctx.goto("")



FEATURE = Feature("reporting back", jobs=(
    Job("digests", every=lambda settings: settings.digests.check_every_seconds,
        build=lambda app: lambda: send_due_digests(app.db, app.texts, app.settings, wake=app.broadcasts.wake)),))
