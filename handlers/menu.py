"""The main menu (the empty state) and what its buttons open.

The menu and these buttons are open before consent, one by one; a button added here needs
consent unless declared open too."""
from __future__ import annotations

from bot.core.filters import button
from bot.core.replies import Button
from bot.core.routing import Context, Router
from handlers.idle import at_menu
from handlers.keyboards import main_menu

router = Router("menu")

MENU = ""


@router.prompt(MENU, open_before_consent=True)
async def show_menu(ctx: Context) -> None:
    ctx.say(ctx.t("menu.prompt"), await main_menu(ctx))


@router.on(at_menu, button("menu", "consent"), open_before_consent=True)
async def consent(ctx: Context, payload) -> None:
    ctx.goto("onboarding:consent")


@router.on(at_menu, button("menu", "language"), open_before_consent=True)
async def language(ctx: Context, payload) -> None:
    ctx.goto("onboarding:language")


@router.on(at_menu, button("menu", "about"), open_before_consent=True)
async def about(ctx: Context, payload) -> None:
    project = ctx.settings.project
    name = project.name.get(ctx.language) or next(iter(project.name.values()), "")
    ctx.say(ctx.t("about.text", project=name),
            [[Button(label=ctx.t("about.appeals"), url=project.appeals_url)]])
    ctx.goto(MENU)
