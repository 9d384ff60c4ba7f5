"""Contests: residents send works (a photo, a text or both), staff moderate them, all vote.

    (menu) ─contests─▶ list ─contest:<key>─▶ page
      page ─cpage:<key>:enter─▶ category ─ccat─▶ age group ─cage─▶ photo ("no photo": cskip)
           ─▶ text ("no text" once there is a photo) ─▶ "sent for review" ▶ (menu)
      page ─cpage:<key>:vote─▶ (handlers.contest_voting)
      page, once voting has closed: the results per category
    every step: "back" one step, "cancel" ▶ (menu); a work is stored only at its last step

A work is stored 'pending' and is shown to nobody until staff approve it. One vote per resident
per category is the PRIMARY KEY of contest_votes; a vote names the work, and the storage accepts
it only for an approved work of the category being shown. Every payload carries the contest key,
so a button of another contest or an old message falls through to the fallback as stale.
"""
from __future__ import annotations

from bot.core.content import Option, text_in, utc
from bot.core.events import Kind
from bot.core.filters import button, kind, state_in, state_is
from bot.core.payloads import encode
from bot.core.plugins import Feature
from bot.core.replies import Button
from bot.core.routing import Context, Router
from handlers.content_items import load, open_items, utc_now, when
from handlers.contests_content import CONTENT, Contest
from handlers.idle import at_menu
from handlers.keyboards import back_cancel, to_menu
from handlers.photos import not_kept
from storage.ports.content import ContentKind
from storage.ports.contests import Standing
from storage.ports.repositories import Repositories

router = Router("contests")

LIST, PAGE = "contests", "contest:page"
CATEGORY, AGE, PHOTO, TEXT = "contest:category", "contest:age", "contest:photo", "contest:text"
VOTE_CATEGORY, VOTE = "contest:vote_category", "contest:vote"
PREVIOUS = {PAGE: LIST, CATEGORY: PAGE, AGE: CATEGORY, PHOTO: AGE, TEXT: PHOTO,
            VOTE_CATEGORY: PAGE, VOTE: VOTE_CATEGORY}
ENTRY_STEPS = (CATEGORY, AGE, PHOTO, TEXT)
PER_PAGE = 10
EXCERPT = 300


async def load_contest(db: Repositories, key: str) -> tuple[int, Contest] | None:
    return await load(db, ContentKind.CONTESTS, Contest, key)


async def current(ctx: Context) -> tuple[int, Contest] | None:
    """The contest of this step; without one, back to the menu (shown at once, even in a prompt)."""
    found = await load_contest(ctx.db, ctx.data.get("contest", ""))
    if found is None:
        ctx.goto("", clear=True)
        await ctx.finish()
    return found


def of_this_contest(ctx: Context) -> bool:
    return ctx.payload.arg(0) == ctx.data.get("contest")


def action(name: str):
    """A filter on a payload's second part, e.g. ``cpage:<key>:enter``."""
    return lambda ctx: ctx.payload.arg(1) == name


def title(ctx: Context, item: Contest | Option) -> str:
    return text_in(item.title, ctx.language)


def named(ctx: Context, options: list[Option], key: str) -> str:
    return next((title(ctx, o) for o in options if o.key == key), key)


def voter_key(ctx: Context) -> str:
    return f"resident:{ctx.resident.id}"


# -- the list and a contest's page -----------------------------------------------------------

@router.on(at_menu, button("menu", "contests"))
async def show_list(ctx: Context, payload) -> None:
    ctx.goto(LIST, clear=True)


@router.prompt(LIST)
async def list_open(ctx: Context) -> None:
    moment = utc(utc_now())
    running = await open_items(ctx.db, ContentKind.CONTESTS, Contest)
    finished = [Contest.model_validate_json(d) for d in await ctx.db.content.contests_voted(moment)]
    rows = [[Button(label=title(ctx, c), payload=encode("contest", c.key))] for c in running]
    rows += [[Button(label=ctx.t("contests.results_button", title=title(ctx, c)), payload=encode("contest", c.key))]
             for c in finished if c.key not in {r.key for r in running}]
    ctx.say(ctx.t("contests.list_prompt" if rows else "contests.none_open"), [*rows, to_menu(ctx)])


@router.on(state_is(LIST, ""), button("contest"))
async def chose_contest(ctx: Context, payload) -> None:
    if await load_contest(ctx.db, payload.arg(0)) is None:
        ctx.say(ctx.t("contests.unknown"))
        ctx.goto("", clear=True)
        return
    ctx.resident.state_data = {"contest": payload.arg(0)}
    ctx.goto(PAGE)


@router.prompt(PAGE)
async def show_page(ctx: Context) -> None:
    if (found := await current(ctx)) is None:
        return
    contest_id, contest = found
    now, key = utc_now(), contest.key
    lines, rows = [title(ctx, contest)], []
    if contest.description:
        lines.append(text_in(contest.description, ctx.language))
    if contest.accepting_entries(now):
        lines.append(ctx.t("contests.entries_open", date=when(ctx, contest.closes)))
        rows.append([Button(label=ctx.t("contests.enter"), payload=encode("cpage", key, "enter"))])
    if contest.voting(now):
        lines.append(ctx.t("contests.voting_open", date=when(ctx, contest.voting_closes)))
        rows.append([Button(label=ctx.t("contests.vote"), payload=encode("cpage", key, "vote"))])
    elif now < contest.voting_opens:
        lines.append(ctx.t("contests.voting_later", date=when(ctx, contest.voting_opens)))
    else:
        lines.append(results_text(ctx, contest, await ctx.db.contests.results(contest_id)))
    ctx.say("\n\n".join(lines), [*rows, back_cancel(ctx)])


@router.on(state_in("contest:"), button("nav", "back"))
async def back(ctx: Context, payload) -> None:
    ctx.goto(PREVIOUS.get(ctx.state, ""))


@router.on(state_in("contest:"), button("nav", "cancel"))
async def cancel(ctx: Context, payload) -> None:
    if ctx.state in ENTRY_STEPS:
        ctx.say(ctx.t("contests.entry_cancelled"))
    ctx.goto("", clear=True)


# -- sending a work --------------------------------------------------------------------------

@router.on(state_is(PAGE), button("cpage"), of_this_contest, action("enter"))
async def begin_entry(ctx: Context, payload) -> None:
    if (found := await current(ctx)) and not found[1].accepting_entries(utc_now()):
        ctx.say(ctx.t("contests.entries_closed", title=title(ctx, found[1])))
        ctx.goto(PAGE)
    elif found:
        ctx.resident.state_data = {"contest": found[1].key}
        ctx.goto(CATEGORY)


def choice_prompt(namespace: str, question: str, options: str):
    async def ask(ctx: Context) -> None:
        if (found := await current(ctx)) is None:
            return
        contest = found[1]
        rows = [[Button(label=title(ctx, o), payload=encode(namespace, contest.key, o.key))]
                for o in getattr(contest, options)]
        ctx.say(ctx.t(question), [*rows, back_cancel(ctx)])
    return ask


router.prompt(CATEGORY)(choice_prompt("ccat", "contests.category_prompt", "categories"))
router.prompt(AGE)(choice_prompt("cage", "contests.age_prompt", "age_groups"))


@router.on(state_is(CATEGORY), button("ccat"), of_this_contest)
async def chose_category(ctx: Context, payload) -> None:
    await chose(ctx, "categories", "category", AGE)


@router.on(state_is(AGE), button("cage"), of_this_contest)
async def chose_age(ctx: Context, payload) -> None:
    await chose(ctx, "age_groups", "age_group", PHOTO)


async def chose(ctx: Context, options: str, field: str, then: str) -> None:
    if (found := await current(ctx)) is None:
        return
    key = ctx.payload.arg(1)
    if key not in {o.key for o in getattr(found[1], options)}:
        ctx.say(ctx.t("contests.unknown_option"))
        ctx.goto(ctx.state)
        return
    ctx.data[field] = key
    ctx.goto(then)


@router.prompt(PHOTO, photos=True)
async def ask_photo(ctx: Context) -> None:
    key = ctx.data.get("contest", "")
    ctx.say(ctx.t("contests.photo_prompt"),
            [[Button(label=ctx.t("contests.no_photo"), payload=encode("cskip", key, "photo"))], back_cancel(ctx)])


@router.on(state_is(PHOTO), kind(Kind.PHOTOS))
async def got_photo(ctx: Context) -> None:
    usable = [p for p in ctx.event.photos if p.file_key]
    if not usable:
        ctx.say(not_kept(ctx))
        ctx.goto(PHOTO)
        return
    ctx.data["file_key"] = usable[0].file_key
    ctx.say(ctx.t("contests.photo_added"))
    ctx.goto(TEXT)


@router.on(state_is(PHOTO), button("cskip"), of_this_contest, action("photo"))
async def no_photo(ctx: Context, payload) -> None:
    ctx.data.pop("file_key", None)
    ctx.goto(TEXT)


@router.prompt(TEXT)
async def ask_text(ctx: Context) -> None:
    if (found := await current(ctx)) is None:
        return
    rows = [back_cancel(ctx)]
    if ctx.data.get("file_key"):
        rows.insert(0, [Button(label=ctx.t("contests.no_text"), payload=encode("cskip", found[1].key, "text"))])
    ctx.say(ctx.t("contests.text_prompt" if ctx.data.get("file_key") else "contests.text_required_prompt",
                  max=found[1].max_text_length), rows)


@router.on(state_is(TEXT), kind(Kind.TEXT))
async def got_text(ctx: Context) -> None:
    if (found := await current(ctx)) is None:
        return
    text, maximum = ctx.event.text.strip(), found[1].max_text_length
    if len(text) > maximum:
        ctx.say(ctx.t("contests.text_too_long", length=len(text), max=maximum))
        ctx.goto(TEXT)
        return
    await submit(ctx, text)


@router.on(state_is(TEXT), button("cskip"), of_this_contest, action("text"))
async def no_text(ctx: Context, payload) -> None:
    if not ctx.data.get("file_key"):
        ctx.say(ctx.t("contests.photo_or_text"))
        ctx.goto(TEXT)
        return
    await submit(ctx, "")


async def submit(ctx: Context, text: str) -> None:
    if (found := await current(ctx)) is None:
        return
    contest_id, contest = found
    if not contest.accepting_entries(utc_now()):
        ctx.say(ctx.t("contests.entries_closed", title=title(ctx, contest)))
        ctx.goto("", clear=True)
        return
    entry_id = await ctx.db.contests.submit(contest_id, ctx.resident.id, ctx.resident.channel,
                                            ctx.data["category"], ctx.data["age_group"], text,
                                            ctx.data.get("file_key", ""))
    ctx.say(ctx.t("contests.submitted", number=entry_id))
    ctx.goto("", clear=True)


# -- results ---------------------------------------------------------------------------------

def results_text(ctx: Context, contest: Contest, standings: list[Standing]) -> str:
    return results_lines(ctx.texts, ctx.language, contest, standings)


def results_lines(texts, language: str, contest: Contest, standings: list[Standing]) -> str:
    """The results per category, most votes first: on the contest's page once voting has
    closed, and in the results staff send to subscribers (handlers.contest_moderation)."""
    def name(item: Contest | Option) -> str:
        return text_in(item.title, language)

    ages = {o.key: name(o) for o in contest.age_groups}
    lines = [texts.get(language, "contests.results_header", title=name(contest))]
    for category in contest.categories:
        ranked = [s for s in standings if s.entry.category == category.key]
        lines.append(f"\n{name(category)}:")
        lines += [texts.get(language, "contests.result_line", place=place, number=s.entry.id, votes=s.votes,
                            age=ages.get(s.entry.age_group, s.entry.age_group)) for place, s in enumerate(ranked, 1)]
        if not ranked:
            lines.append(texts.get(language, "contests.no_entries"))
    return "\n".join(lines)


FEATURE = Feature("contests", content=(CONTENT,))
