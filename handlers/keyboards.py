"""Buttons that several handlers show: the main menu and the back/cancel row."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache

from bot.core.content import utc
from bot.core.i18n import Texts
from bot.core.payloads import encode
from bot.core.replies import Button
from bot.core.routing import Context

MENU = "menu"
NAV = "nav"


PARTICIPATION = ("polls", "surveys", "quizzes", "contests")


async def main_menu(ctx: Context) -> tuple[tuple[Button, ...], ...]:
    """The menu shows only what exists and is open now."""
    if not ctx.resident.has_consent:
        return _menu(ctx.texts, ctx.language, None)
    open_now = await ctx.db.content.open_counts(utc(datetime.now(timezone.utc)))
    return _menu(ctx.texts, ctx.language, tuple(kind for kind in (*PARTICIPATION, "episodes") if open_now.get(kind)))


@lru_cache(maxsize=256)
def _menu(texts: Texts, language: str, happening: tuple[str, ...] | None) -> tuple[tuple[Button, ...], ...]:
    """The menu's buttons, built once per language and situation: it is shown after most steps.
    ``happening`` is None for a resident without consent, else what is open or has aired."""
    def item(key: str, label_key: str | None = None) -> Button:
        return Button(label=texts.get(language, label_key or f"menu.{key}"), payload=encode(MENU, key))
    if happening is None:
        return ((item("about"),), (item("consent"),), (item("privacy"),), (item("language"),))
    open_items = [item(kind, f"participation.{kind}") for kind in PARTICIPATION if kind in happening]
    pairs = tuple(tuple(open_items[i:i + 2]) for i in range(0, len(open_items), 2))
    episode = ((item("episode", "episodes.menu"),),) if "episodes" in happening else ()
    return ((item("propose"),), *pairs, *episode, (item("mine"),), (item("ideas"),), (item("join"),),
            (item("subscriptions"),), (item("about"), item("privacy")), (item("language"),))


def back_cancel(ctx: Context, *, back: bool = True) -> list[Button]:
    return list(nav_row(ctx.texts, ctx.language, back))


@lru_cache(maxsize=256)
def nav_row(texts: Texts, language: str, back: bool = True) -> tuple[Button, ...]:
    """«Назад» and «Отмена», built once per language: the same button objects each time let the
    core remember how a keyboard with them is laid out (``bot.core.keyboard_memory``)."""
    row = (Button(label=texts.get(language, "nav.back"), payload=encode(NAV, "back")),) if back else ()
    return (*row, Button(label=texts.get(language, "nav.cancel"), payload=encode(NAV, "cancel")))


def to_menu(ctx: Context) -> list[Button]:
    return [Button(label=ctx.t("menu.back_to_menu"), payload=encode(NAV, "menu"))]
