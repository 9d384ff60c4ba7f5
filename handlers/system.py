"""Platform notices about reachability: the resident blocked or unblocked the bot.

Blocking unsubscribes from everything (a blocked bot must not keep a resident on its lists);
unblocking makes the resident reachable again but does not restore subscriptions.
"""
from __future__ import annotations

from bot.core.events import Kind
from bot.core.filters import kind
from bot.core.routing import Context, Router

router = Router("system", open_before_consent=True)  # platform notices, whoever sends them


@router.on(kind(Kind.REACHABILITY))
async def reachability(ctx: Context) -> None:
    reachable = bool(ctx.event.reachable)
    await ctx.db.residents.set_reachable(ctx.resident.id, reachable)
    ctx.resident.reachable = reachable
    if not reachable:
        await ctx.db.subscriptions.unsubscribe_all(ctx.resident.id)
