"""Subscriptions to announcement topics (config.yaml ``subscriptions.topics``): one button each,
pressed to toggle. /stop (in handlers.commands) leaves them all."""
from __future__ import annotations

from bot.core.filters import button, state_is
from bot.core.payloads import encode
from bot.core.replies import Button
from bot.core.routing import Context, Router
from handlers.idle import at_menu
from handlers.keyboards import to_menu

router = Router("subscriptions")

SUBSCRIPTIONS = "subscriptions"


@router.on(at_menu, button("menu", "subscriptions"))
async def open_subscriptions(ctx: Context, payload) -> None:
    ctx.goto(SUBSCRIPTIONS)


@router.prompt(SUBSCRIPTIONS)
async def show_topics(ctx: Context) -> None:
    topics = ctx.settings.subscriptions.topics
    if not topics:
        ctx.say(ctx.t("subscriptions.none_configured"), [to_menu(ctx)])
        return
    mine = await ctx.db.subscriptions.topics_of(ctx.resident.id)
    rows = [[Button(label=ctx.t("subscriptions.topic_on" if topic.key in mine else "subscriptions.topic_off",
                                topic=topic.title_in(ctx.language, ctx.texts.default)),
                    payload=encode("sub", topic.key))] for topic in topics]
    ctx.say(ctx.t("subscriptions.prompt"), [*rows, to_menu(ctx)])


@router.on(state_is(SUBSCRIPTIONS), button("sub"))
async def toggle(ctx: Context, payload) -> None:
    topic = next((t for t in ctx.settings.subscriptions.topics if t.key == payload.arg(0)), None)
    if topic is None:
        ctx.say(ctx.t("subscriptions.unknown"))
    else:
        title = topic.title_in(ctx.language, ctx.texts.default)
        if topic.key in await ctx.db.subscriptions.topics_of(ctx.resident.id):
            await ctx.db.subscriptions.unsubscribe(ctx.resident.id, topic.key)
            ctx.say(ctx.t("subscriptions.unsubscribed", topic=title))
        else:
            await ctx.db.subscriptions.subscribe(ctx.resident.id, topic.key)
            ctx.say(ctx.t("subscriptions.subscribed", topic=title))
    ctx.goto(SUBSCRIPTIONS)
