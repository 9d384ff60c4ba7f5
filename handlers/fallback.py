"""The catch-all, tried last: whatever nobody else took gets a short answer and the current
step asked again, so a resident never meets silence or a dead end."""
from __future__ import annotations

from bot.core.events import Kind
from bot.core.routing import Context, Router

router = Router("fallback", open_before_consent=True)

ANSWERS = {
    Kind.BUTTON: "fallback.stale_button",
    Kind.PHOTOS: "fallback.photo_unexpected",
    Kind.LOCATION: "fallback.location_unexpected",
    Kind.CONTACT: "fallback.contact_unexpected",
    Kind.UNSUPPORTED: "fallback.unsupported",
    Kind.COMMAND: "fallback.unknown_command",
}


@router.on(lambda ctx: True)
async def anything_else(ctx: Context) -> None:
    if ctx.event.kind is Kind.REACHABILITY:
        return
    if ctx.event.kind is Kind.TEXT:
        key = "fallback.not_understood" if ctx.state == "" else "fallback.use_buttons"
    else:
        key = ANSWERS[ctx.event.kind]
    ctx.say(ctx.t(key))
    await ctx.show_prompt()
