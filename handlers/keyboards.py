"""Buttons that several handlers show: the main menu and the back/cancel row."""
from __future__ import annotations

from bot.payloads import encode
from bot.replies import Button
from bot.routing import Context

MENU = "menu"
NAV = "nav"


def main_menu(ctx: Context) -> list[list[Button]]:
    def item(key: str) -> Button:
        return Button(label=ctx.t(f"menu.{key}"), payload=encode(MENU, key))
    if not ctx.resident.has_consent:
        return [[item("about")], [item("consent")], [item("privacy")], [item("language")]]
    return [[item("propose")], [item("mine")], [item("subscriptions")],
            [item("about"), item("privacy")], [item("language")]]


def back_cancel(ctx: Context, *, back: bool = True) -> list[Button]:
    row = [Button(label=ctx.t("nav.back"), payload=encode(NAV, "back"))] if back else []
    row.append(Button(label=ctx.t("nav.cancel"), payload=encode(NAV, "cancel")))
    return row


def to_menu(ctx: Context) -> list[Button]:
    return [Button(label=ctx.t("menu.back_to_menu"), payload=encode(NAV, "menu"))]
