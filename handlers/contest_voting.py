"""Voting in a contest: among approved works only, one vote per resident per category.

    page ─cpage:<key>:vote─▶ categories ─cvc─▶ approved works ─cv:<key>:<id>─▶ categories

The vote is accepted by storage only for an approved work of the category being shown, and the
PRIMARY KEY of contest_votes makes a second vote in a category impossible.
"""
from __future__ import annotations

from bot.core.filters import button, state_is
from bot.core.payloads import encode
from bot.core.replies import Button, Media
from bot.core.routing import Context, Router
from handlers.contests import (
    EXCERPT,
    PAGE,
    PER_PAGE,
    VOTE,
    VOTE_CATEGORY,
    action,
    current,
    named,
    of_this_contest,
    title,
    utc_now,
    voter_key,
)
from handlers.contests_content import Contest
from handlers.keyboards import back_cancel
from storage.ports.contests import Entry

router = Router("contest voting")


@router.on(state_is(PAGE), button("cpage"), of_this_contest, action("vote"))
async def begin_voting(ctx: Context, payload) -> None:
    if await voting_contest(ctx):
        ctx.resident.state_data = {"contest": ctx.data["contest"]}
        ctx.goto(VOTE_CATEGORY)


async def voting_contest(ctx: Context) -> tuple[int, Contest] | None:
    """The contest of this step while its voting is open; otherwise None, the resident told
    and taken to the contest's page (where the results are, once voting has closed)."""
    if (found := await current(ctx)) is None or found[1].voting(utc_now()):
        return found
    ctx.say(ctx.t("contests.voting_closed", title=title(ctx, found[1])))
    ctx.resident.state_data = {"contest": found[1].key}
    ctx.goto(PAGE)
    return None


@router.prompt(VOTE_CATEGORY)
async def ask_vote_category(ctx: Context) -> None:
    if (found := await current(ctx)) is None:
        return
    contest_id, contest = found
    voted = await ctx.db.contests.votes_of(contest_id, voter_key(ctx))
    rows = [[Button(label=("✅ " if c.key in voted else "") + title(ctx, c), payload=encode("cvc", contest.key, c.key))]
            for c in contest.categories]
    ctx.say(ctx.t("contests.vote_category_prompt"), [*rows, back_cancel(ctx)])


@router.on(state_is(VOTE_CATEGORY), button("cvc"), of_this_contest)
async def chose_vote_category(ctx: Context, payload) -> None:
    found = await current(ctx)
    if found and payload.arg(1) not in {c.key for c in found[1].categories}:
        ctx.say(ctx.t("contests.unknown_option"))
        ctx.goto(VOTE_CATEGORY)
    elif found:
        ctx.data.update(category=payload.arg(1), offset=0)
        ctx.goto(VOTE)


@router.prompt(VOTE)
async def show_entries(ctx: Context) -> None:
    if (found := await current(ctx)) is None:
        return
    contest_id, contest = found
    category, offset = ctx.data.get("category", ""), ctx.data.get("offset", 0)
    entries = await ctx.db.contests.approved(contest_id, category, offset, PER_PAGE + 1)
    chosen = (await ctx.db.contests.votes_of(contest_id, voter_key(ctx))).get(category)
    header = ctx.t("contests.vote_header", category=named(ctx, contest.categories, category))
    if chosen is not None:
        header += "\n" + ctx.t("contests.already_voted", number=chosen)
    ctx.say(header if entries else header + "\n" + ctx.t("contests.no_entries"))
    for entry in entries[:PER_PAGE]:
        vote = [] if chosen is not None else [[Button(label=ctx.t("contests.vote_for", number=entry.id),
                                                      payload=encode("cv", contest.key, entry.id))]]
        media = [Media(kind="photo", file_key=entry.file_key)] if entry.file_key else []
        ctx.say(describe(ctx, contest, entry), vote, media=media)
    rows = [back_cancel(ctx)]
    if len(entries) > PER_PAGE:
        rows.insert(0, [Button(label=ctx.t("contests.more"), payload=encode("cmore", contest.key, offset + PER_PAGE))])
    ctx.say(ctx.t("contests.vote_footer"), rows)


@router.on(state_is(VOTE), button("cmore"), of_this_contest, lambda ctx: ctx.payload.arg(1).isdigit())
async def more_entries(ctx: Context, payload) -> None:
    ctx.data["offset"] = int(payload.arg(1))
    ctx.goto(VOTE)


@router.on(state_is(VOTE), button("cv"), of_this_contest)
async def voted(ctx: Context, payload) -> None:
    if (found := await voting_contest(ctx)) is None:
        return
    contest_id, contest = found
    category = ctx.data.get("category", "")
    entry = payload.arg(1)
    outcome = "not_votable" if not entry.isdigit() else await ctx.db.contests.vote(
        contest_id, int(entry), category, voter_key(ctx), ctx.resident.id)
    name = named(ctx, contest.categories, category)
    if outcome == "not_votable":
        ctx.say(ctx.t("contests.not_votable", category=name), [back_cancel(ctx)])
        return
    if outcome == "already":
        chosen = (await ctx.db.contests.votes_of(contest_id, voter_key(ctx))).get(category)
        ctx.say(ctx.t("contests.already_voted", number=chosen))
    else:
        ctx.say(ctx.t("contests.voted", number=entry, category=name))
    ctx.data.pop("category", None)
    ctx.goto(VOTE_CATEGORY)


def describe(ctx: Context, contest: Contest, entry: Entry) -> str:
    text = entry.text if len(entry.text) <= EXCERPT else entry.text[:EXCERPT].rstrip() + "…"
    head = ctx.t("contests.entry", number=entry.id, age=named(ctx, contest.age_groups, entry.age_group))
    return f"{head}\n{text}".strip()
