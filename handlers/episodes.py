"""The latest episode of the series, for any resident who asks: the /episode command from any
step, or the main menu's button (shown once an episode has aired).

    (any step) ─/episode─▶ the latest aired episode ▶ back to the same step
    (menu) ─menu:episode─▶ the latest aired episode ▶ (menu)

Subscribers of the series' topic also get each episode pushed at its air time
(``broadcasts.episodes``); a resident who is not subscribed is told how to be.
"""
from __future__ import annotations

from bot.core.content import utc
from bot.core.filters import button, command
from bot.core.plugins import Feature, Job
from bot.core.replies import Media
from bot.core.routing import Context, Router
from broadcasts.episodes import EpisodeAnnouncer, episode_of, episode_text, utc_now
from handlers.episodes_content import CONTENT
from handlers.idle import at_menu
from handlers.keyboards import to_menu

router = Router("episodes", open_before_consent=True)  # shows the latest episode, stores nothing


@router.on(command("episode"))
async def latest_by_command(ctx: Context, argument: str) -> None:
    await show_latest(ctx)
    ctx.goto(ctx.state)  # ask again for whatever the resident was in the middle of


@router.on(at_menu, button("menu", "episode"))
async def latest_from_menu(ctx: Context, payload) -> None:
    await show_latest(ctx)
    ctx.goto("")


async def show_latest(ctx: Context) -> None:
    row = await ctx.db.episodes.latest_aired(utc(utc_now()))
    if row is None:
        ctx.say(ctx.t("episodes.none_yet"), [to_menu(ctx)])
        return
    episode = episode_of(row)
    media = [Media(kind="video", file_key=episode.file_key)] if episode.file_key else []
    ctx.say(episode_text(ctx.texts, ctx.language, row), media=media)  # the text carries the link
    if ctx.resident.has_consent and row.topic not in await ctx.db.subscriptions.topics_of(ctx.resident.id):
        ctx.say(ctx.t("episodes.subscribe_hint"))


FEATURE = Feature("episodes", content=(CONTENT,), jobs=(
    Job("episodes", every=lambda settings: settings.episodes.check_every_seconds,
        build=lambda app: EpisodeAnnouncer(app.db, app.scheduler, app.texts, app.settings.episodes,
                                           wake=app.broadcasts.wake).check),))
