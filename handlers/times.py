"""Times as residents read them: a stored moment in the town's zone (``project.time_zone``),
written the way the resident's language writes dates (``formats.date_time``, ``formats.date``),
so «принято 02.12.2026» is the day the resident remembers sending it."""
from __future__ import annotations

from datetime import datetime

from bot.core.routing import Context


def town_time(ctx: Context, stamp: str | datetime, format_key: str = "formats.date_time") -> str:
    return ctx.settings.project.clock.text(stamp, ctx.t(format_key))


def town_date(ctx: Context, stamp: str | datetime) -> str:
    return town_time(ctx, stamp, "formats.date")
