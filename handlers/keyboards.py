"""Buttons that several handlers show: the main menu and the back/cancel row."""
from __future__ import annotations

from datetime import datetime, timezone

from bot.content import utc
from bot.payloads import encode
from bot.replies import Button
from bot.routing import Context

MENU = "menu"
NAV = "nav"


PARTICIPATION = ("polls", "surveys", "quizzes", "contests")


async def main_menu(ctx: Context) -> list[list[Button]]:
    """The menu shows only what exists and is open now."""
    def item(key: str, label_key: str | None = None) -> Button:
        return Button(label=ctx.t(label_key or f"menu.{key}"), payload=encode(MENU, key))
    if not ctx.resident.has_consent:
        return [[item("about")], [item("consent")], [item("privacy")], [item("language")]]
    open_now = await ctx.db.content.open_counts(utc(datetime.now(timezone.utc)))
    happening = [item(kind, f"participation.{kind}") for kind in PARTICIPATION if open_now.get(kind)]
    pairs = [happening[i:i + 2] for i in range(0, len(happening), 2)]
    aired = await ctx.db.episodes.latest_aired(utc(datetime.now(timezone.utc)))
    episode = [[item("episode", "episodes.menu")]] if aired else []
    return [[item("propose")], *pairs, *episode, [item("mine")], [item("subscriptions")],
            [item("about"), item("privacy")], [item("language")]]


def back_cancel(ctx: Context, *, back: bool = True) -> list[Button]:
    row = [Button(label=ctx.t("nav.back"), payload=encode(NAV, "back"))] if back else []
    row.append(Button(label=ctx.t("nav.cancel"), payload=encode(NAV, "cancel")))
    return row


def to_menu(ctx: Context) -> list[Button]:
    return [Button(label=ctx.t("menu.back_to_menu"), payload=encode(NAV, "menu"))]
