"""The settings as the bot runs with them, for admins: read-only, secrets masked.

Settings come from config.yaml and SOUCHASTIE_* environment variables and are read at start
(bot/config.py); the panel shows them so an admin can check what is in force without shell
access, and says where to change them, rather than keeping a second copy that could disagree.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import SecretStr

from admin.app import panel, render
from admin.roles import SETTINGS, require

routes = web.RouteTableDef()


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [row for key, item in value.items() for row in _flatten(item, f"{prefix}.{key}" if prefix else key)]
    if isinstance(value, SecretStr):
        return [(prefix, "задано (скрыто)")]
    if value is None:
        return [(prefix, "—")]
    if isinstance(value, bool):  # yes or no in the page's language (true/false in config.yaml)
        return [(prefix, "да" if value else "нет")]
    if isinstance(value, (list, tuple)):
        return [(prefix, ", ".join(str(v.get("key", v)) if isinstance(v, dict) else str(v) for v in value))]
    return [(prefix, str(value))]


@routes.get("/settings")
@require(SETTINGS)
async def settings_page(request: web.Request) -> web.StreamResponse:
    settings = panel(request).settings
    sections = [(name, _flatten(getattr(settings, name).model_dump())) for name in type(settings).model_fields]
    return render(request, "settings.html", sections=sections)
