"""Polls: single choice, multiple choice (at most k), scores for every option, or a top 3.

    (menu) ─polls─▶ list ─poll:<key>─▶ [phone check] ─▶ choose ─vote:<key>:…─▶ thanks ▶ (menu)
    [phone check]: handlers.phone_check (a contact card, a code by SMS, or another channel).
    choose, on a map poll ─a location─▶ the 3 nearest zones ─vote:<key>:…─▶ thanks ▶ (menu)
    /start poll-<key> (a poster's QR code) opens the poll directly.

A ballot is written only when it is complete, in one transaction; the database's UNIQUE
(poll, voter) makes a second vote impossible whatever the code does. The voter is the resident,
or the verified phone number when the poll requires one, which merges one person's residents
on several channels. Every payload carries the poll's key, so a button from another poll or an
old message is recognised as stale.
"""
from __future__ import annotations

from pathlib import Path

from bot.core.content import text_in, utc
from bot.core.events import Kind, ResidentRef
from bot.core.filters import button, kind, state_is
from bot.core.payloads import encode
from bot.core.plugins import Feature, Job
from bot.core.replies import Button, Media, Reply
from bot.core.routing import Context, Router
from bot.map_pictures import MapPictures
from handlers import verified_phone
from handlers.content_items import load, show_open, utc_now, when
from handlers.idle import at_menu
from handlers.keyboards import back_cancel
from handlers.map_polls import draw_missing, picture_key
from handlers.polls_content import CONTENT, MapOption, Poll
from storage.ports.content import ContentKind
from storage.ports.polls import Tally
from storage.ports.repositories import Repositories
from storage.statuses import PollKind

router = Router("polls")

LIST, CHOOSE, PHONE = "polls", "poll:choose", "poll:phone"
DONE = "_done"
POINTS = {1: 3, 2: 2, 3: 1}  # top 3: Borda points by place
NEAREST = 3  # zones offered for a location a resident sends


async def load_poll(db: Repositories, key: str) -> tuple[int, Poll] | None:
    return await load(db, ContentKind.POLLS, Poll, key)


def voter_key(ctx: Context, poll: Poll) -> str | None:
    if poll.require_phone:
        return f"phone:{ctx.resident.phone}" if ctx.resident.phone_verified and ctx.resident.phone else None
    return f"resident:{ctx.resident.id}"


# -- the list and opening a poll ------------------------------------------------------------

@router.on(at_menu, button("menu", "polls"))
async def show_list(ctx: Context, payload) -> None:
    ctx.goto(LIST)


@router.prompt(LIST)
async def list_open(ctx: Context) -> None:
    await show_open(ctx, ContentKind.POLLS, Poll, "poll")


@router.on(state_is(LIST, ""), button("poll"))
async def chose_poll(ctx: Context, payload) -> None:
    await open_poll(ctx, payload.arg(0))


async def open_poll(ctx: Context, key: str) -> None:
    found = await load_poll(ctx.db, key)
    if found is None:
        ctx.say(ctx.t("polls.unknown"))
        ctx.goto("")
        return
    poll_id, poll = found
    title, now = text_in(poll.title, ctx.language), utc_now()
    if now < poll.opens:
        ctx.say(ctx.t("polls.not_yet", title=title, date=when(ctx, poll.opens)))
        ctx.goto("")
        return
    if now >= poll.closes:
        ctx.say(ctx.t("polls.closed", title=title))
        ctx.say(results_text(ctx, poll, await ctx.db.polls.tally(poll_id), final=True))
        ctx.goto("")
        return
    voter = voter_key(ctx, poll)
    if voter is None and (phone := verified_phone.from_sender(ctx)) is not None:
        await verified_phone.adopt(ctx, phone)  # WhatsApp: the sender's id is their number
        voter = voter_key(ctx, poll)
    if voter is None:
        ctx.resident.state_data = {"poll": key}
        ctx.goto(PHONE)  # handlers.phone_check confirms the number, then opens the poll again
        return
    earlier = await ctx.db.polls.ballot(poll_id, voter)
    if earlier is not None and not poll.allow_change:
        ctx.say(ctx.t("polls.already", title=title, choice=describe_ballot(ctx, poll, earlier)))
        if poll.results == "live":
            ctx.say(results_text(ctx, poll, await ctx.db.polls.tally(poll_id), final=False))
        ctx.goto("")
        return
    ctx.resident.state_data = {"poll": key, "picked": [], "scores": {}}
    ctx.goto(CHOOSE)


# -- choosing ------------------------------------------------------------------------------

async def current_poll(ctx: Context) -> Poll | None:
    found = await load_poll(ctx.db, ctx.data.get("poll", ""))
    return found[1] if found else None


@router.prompt(CHOOSE)
async def ask_choice(ctx: Context) -> None:
    poll = await current_poll(ctx)
    if poll is None:
        ctx.goto("", clear=True)
        return
    title, picked = text_in(poll.title, ctx.language), ctx.data.get("picked", [])

    def option_button(option, label: str | None = None, *extra: object) -> Button:
        return Button(label=label or text_in(option.title, ctx.language),
                      payload=encode("vote", poll.key, option.key, *extra))

    match poll.kind:
        case PollKind.SINGLE if poll.on_map:
            picture = map_picture(ctx, poll)
            ctx.say(ctx.t("polls.map_prompt" if picture else "polls.map_prompt_plain", title=title),
                    [[option_button(o, numbered(ctx, poll, o))] for o in poll.options]
                    + [[Button(label=ctx.t("polls.map_location"), request="location")], back_cancel(ctx, back=False)],
                    media=picture)
        case PollKind.SINGLE:
            ctx.say(ctx.t("polls.single_prompt", title=title),
                    [[option_button(o)] for o in poll.options] + [back_cancel(ctx, back=False)])
        case PollKind.MULTIPLE:
            rows = [[option_button(o, ("✅ " if o.key in picked else "⬜ ") + text_in(o.title, ctx.language))]
                    for o in poll.options]
            rows.append([Button(label=ctx.t("polls.done"), payload=encode("vote", poll.key, DONE))])
            ctx.say(ctx.t("polls.multiple_prompt", title=title, max=poll.max_choices, count=len(picked)),
                    [*rows, back_cancel(ctx, back=False)])
        case PollKind.SCORES:
            index = len(ctx.data.get("scores", {}))
            option = poll.options[index]
            ctx.say(ctx.t("polls.scores_prompt", title=title, option=text_in(option.title, ctx.language),
                          number=index + 1, total=len(poll.options)),
                    [[option_button(option, str(n), n) for n in range(1, 6)], back_cancel(ctx, back=False)])
        case PollKind.TOP3:
            rows = [[option_button(o)] for o in poll.options if o.key not in picked]
            ctx.say(ctx.t("polls.top3_prompt", title=title, place=len(picked) + 1),
                    [*rows, back_cancel(ctx, back=False)])


def numbered(ctx: Context, poll: Poll, option: MapOption, suffix: str = "") -> str:
    """«3. Берег пруда»: the number the zone has on the picture."""
    return f"{poll.options.index(option) + 1}. {text_in(option.title, ctx.language)}{suffix}"


def map_picture(ctx: Context, poll: Poll) -> list[Media]:
    """The picture of the numbered zones, once the ``map pictures`` job has drawn it (until
    then, and where it cannot be drawn, the numbered buttons say it all)."""
    key = picture_key(poll, ctx.settings.maps)
    return [Media(kind="photo", file_key=key)] if (Path(ctx.settings.storage.attachments_dir) / key).is_file() else []


@router.on(state_is(CHOOSE), kind(Kind.LOCATION))
async def nearest_zones(ctx: Context) -> None:
    """A place the resident sent: the zones nearest to it (the one it lies in first), to vote with."""
    poll = await current_poll(ctx)
    if poll is None or not poll.on_map or ctx.event.location is None:
        ctx.say(ctx.t("polls.location_unexpected"))
        await ask_choice(ctx)
        return
    here = ctx.event.location
    by_distance = sorted(((o.geometry.distance_m(here.latitude, here.longitude), index, o)
                          for index, o in enumerate(poll.options) if o.geometry), key=lambda found: found[:2])
    rows = []
    for distance, _, option in by_distance[:NEAREST]:
        suffix = ctx.t("polls.nearest_inside") if distance == 0 else ctx.t("polls.nearest_metres",
                                                                           metres=round(distance))
        rows.append([Button(label=numbered(ctx, poll, option, suffix), payload=encode("vote", poll.key, option.key))])
    ctx.say(ctx.t("polls.nearest_prompt"), [*rows, back_cancel(ctx, back=False)])


@router.on(state_is(CHOOSE), button("nav", "cancel"))
async def cancel(ctx: Context, payload) -> None:
    ctx.goto("", clear=True)


@router.on(state_is(CHOOSE), button("vote"), lambda ctx: ctx.payload.arg(0) == ctx.data.get("poll"))
async def chose(ctx: Context, payload) -> None:
    found = await load_poll(ctx.db, payload.arg(0))
    if found is None:
        ctx.goto("", clear=True)
        return
    poll_id, poll = found
    choice = payload.arg(1)
    picked: list[str] = ctx.data.setdefault("picked", [])
    if poll.kind == PollKind.MULTIPLE and choice == DONE:
        if not picked:
            ctx.say(ctx.t("polls.pick_one"))
            await ask_choice(ctx)
            return
        await cast(ctx, poll_id, poll, [(key, 1) for key in picked])
        return
    if poll.option(choice) is None:
        ctx.say(ctx.t("polls.unknown_option"))
        await ask_choice(ctx)
        return
    match poll.kind:
        case PollKind.SINGLE:
            await cast(ctx, poll_id, poll, [(choice, 1)])
        case PollKind.MULTIPLE:
            if choice in picked:
                picked.remove(choice)
            elif len(picked) >= poll.max_choices:
                ctx.say(ctx.t("polls.too_many", max=poll.max_choices))
            else:
                picked.append(choice)
            await ask_choice(ctx)
        case PollKind.SCORES:
            scores: dict[str, int] = ctx.data.setdefault("scores", {})
            expected = poll.options[len(scores)].key
            score = payload.arg(2)
            if choice != expected or score not in {"1", "2", "3", "4", "5"}:
                ctx.say(ctx.t("polls.unknown_option"))
                await ask_choice(ctx)
                return
            scores[choice] = int(score)
            if len(scores) == len(poll.options):
                await cast(ctx, poll_id, poll, list(scores.items()))
            else:
                await ask_choice(ctx)
        case PollKind.TOP3:
            if choice not in picked:
                picked.append(choice)
            if len(picked) == 3:
                await cast(ctx, poll_id, poll, [(key, POINTS[place]) for place, key in enumerate(picked, 1)])
            else:
                await ask_choice(ctx)


async def cast(ctx: Context, poll_id: int, poll: Poll, choices: list[tuple[str, int]]) -> None:
    title = text_in(poll.title, ctx.language)
    if not poll.is_open(utc_now()):
        ctx.say(ctx.t("polls.closed", title=title))
        ctx.goto("", clear=True)
        return
    voter = voter_key(ctx, poll)
    outcome = await ctx.db.polls.cast(poll_id, voter, ctx.resident.id, ctx.resident.channel, choices,
                                      poll.allow_change)
    if outcome == "already":
        earlier = await ctx.db.polls.ballot(poll_id, voter) or []
        ctx.say(ctx.t("polls.already", title=title, choice=describe_ballot(ctx, poll, earlier)))
    else:
        ctx.say(ctx.t("polls.thanks" if outcome == "cast" else "polls.changed"))
    if poll.results == "live":
        ctx.say(results_text(ctx, poll, await ctx.db.polls.tally(poll_id), final=False))
    else:
        ctx.say(ctx.t("polls.results_later"))
    ctx.goto("", clear=True)


# -- results ---------------------------------------------------------------------------------

def describe_ballot(ctx: Context, poll: Poll, ballot: list[tuple[str, int]]) -> str:
    names = []
    for key, score in ballot:
        option = poll.option(key)
        name = text_in(option.title, ctx.language) if option else key
        names.append(f"{name} ({score})" if poll.kind == PollKind.SCORES else name)
    return ", ".join(names) or "—"


def results_lines(texts, language: str, poll: Poll, tally: Tally, final: bool) -> str:
    title = text_in(poll.title, language)
    header = texts.get(language, "polls.results_header" if final else "polls.results_live_header",
                       title=title, voters=tally.voters)
    lines = [header]
    ranked_by = tally.points if poll.kind in (PollKind.SCORES, PollKind.TOP3) else tally.counts
    ranked = sorted(poll.options, key=lambda o: (-ranked_by.get(o.key, 0), o.key))
    for option in ranked:
        name, count = text_in(option.title, language), tally.counts.get(option.key, 0)
        if poll.kind == PollKind.SCORES:
            average = f"{tally.points.get(option.key, 0) / count:.1f}" if count else "—"
            lines.append(texts.get(language, "polls.result_scores_line", option=name, average=average, count=count))
        elif poll.kind == PollKind.TOP3:
            lines.append(texts.get(language, "polls.result_points_line", option=name,
                                   points=tally.points.get(option.key, 0)))
        else:
            percent = round(100 * count / tally.voters) if tally.voters else 0
            lines.append(texts.get(language, "polls.result_line", option=name, count=count, percent=percent))
    return "\n".join(lines)


def results_text(ctx: Context, poll: Poll, tally: Tally, final: bool) -> str:
    return results_lines(ctx.texts, ctx.language, poll, tally, final)


async def announcements(db: Repositories, texts, key: str) -> list[tuple[ResidentRef, Reply]]:
    """The results of a closed poll, one message per subscriber of "results" and per resident who
    voted in it (once, when both), each in their language."""
    found = await load_poll(db, key)
    if found is None:
        return []
    poll_id, poll = found
    tally = await db.polls.tally(poll_id)
    by_language: dict[str, Reply] = {}
    messages = []
    recipients = {(channel, external_id): language for channel, external_id, language
                  in [*await db.subscriptions.subscribers("results"), *await db.polls.voters(poll_id)]}
    for (channel, external_id), language in recipients.items():
        language = texts.resolve(language)
        if language not in by_language:
            by_language[language] = Reply(text=results_lines(texts, language, poll, tally, final=True))
        messages.append((ResidentRef(channel=channel, external_id=external_id), by_language[language]))
    return messages


async def announce_due_results(dispatcher, texts) -> int:
    """Send the results of every poll that has closed and not been announced: once each, since
    the mark and the messages are written in one transaction."""
    due = await dispatcher.db.reader.content.polls_to_announce(utc(utc_now()))

    def builder(key: str):
        async def build(tx: Repositories) -> list[tuple[ResidentRef, Reply]]:
            if not await tx.content.mark_poll_announced(key):
                return []
            return await announcements(tx, texts, key)
        return build

    sent = 0
    for key in due:
        sent += await dispatcher.notify(builder(key))
    return sent


def map_pictures_job(app) -> object:
    pictures = MapPictures(app.settings.storage.attachments_dir, app.settings.maps)
    return lambda: draw_missing(app.db, pictures)


FEATURE = Feature("polls", content=(CONTENT,), jobs=(
    Job("poll results", every=lambda settings: settings.polls.check_every_seconds,
        build=lambda app: lambda: announce_due_results(app.dispatcher, app.texts)),
    Job("map pictures", every=lambda settings: settings.maps.render_every_seconds, build=map_pictures_job)))
