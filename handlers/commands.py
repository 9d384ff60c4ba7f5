"""Commands that work from any step: /start, /menu, /cancel, /help, /stop, /language.

/privacy and /forget live with the privacy handlers. A deep-link source (``/start poster_12``,
``t.me/bot?start=…``, ``vk.me/…?ref=…``) is recorded once: the first one a resident came with.
"""
from __future__ import annotations

import re

from bot.core.filters import button, command
from bot.core.routing import Context, Router
from handlers.deeplinks import follow, remember

router = Router("commands", open_before_consent=True)  # they lead to steps; each step keeps its own rule

SOURCE = re.compile(r"\A[A-Za-z0-9_\-]{1,64}\Z")  # \Z, not $: "$" also matches before a final newline


@router.on(command("start"))
async def start(ctx: Context, argument: str) -> None:
    # Taken as it came (a typed command is stripped already): a link's parameter that is not
    # exactly a source we hand out is no source at all, neither recorded nor followed.
    source = argument if SOURCE.match(argument) else ""
    if source:
        await ctx.db.residents.set_first_source(ctx.resident.id, source)
        ctx.resident.first_source = ctx.resident.first_source or source
    ctx.say(ctx.t("greeting", project=ctx.settings.project.name.get(ctx.language)
                  or next(iter(ctx.settings.project.name.values()), "")))
    if ctx.resident.has_consent:
        ctx.goto("", clear=True)
        if source:
            await follow(ctx, source)
        return
    ctx.goto("onboarding:consent", clear=True)
    remember(ctx, source)


@router.on(button("nav", "start"))
async def start_again(ctx: Context, payload) -> None:
    await start(ctx, argument="")


@router.on(command("menu", "help"))
async def menu(ctx: Context, argument: str) -> None:
    ctx.goto("", clear=True)


@router.on(command("cancel"))
async def cancel(ctx: Context, argument: str) -> None:
    ctx.say(ctx.t("fallback.cancelled"))
    ctx.goto("", clear=True)


@router.on(button("nav", "menu"))
async def back_to_menu(ctx: Context, payload) -> None:
    ctx.goto("", clear=True)


@router.on(command("stop"))
async def stop(ctx: Context, argument: str) -> None:
    await ctx.db.subscriptions.unsubscribe_all(ctx.resident.id)
    ctx.say(ctx.t("subscriptions.stopped"))
    ctx.goto("", clear=True)


@router.on(command("language"))
async def language(ctx: Context, argument: str) -> None:
    ctx.goto("onboarding:language")
