"""The proposal journey: category → text → photos → place → review → receipt.

    (menu) ─propose─▶ category ─cat─▶ text ─text─▶ photos ─next─▶ location ─point/address/skip─▶ review
                         ▲  back        ▲  back       ▲  back        ▲          back            │
                         └──────────────┴─────────────┴──────────────┴──────────────────────────┘
    every step: "cancel" ▶ (menu), nothing stored;  review ─confirm─▶ receipt ▶ (menu)

The draft lives in the conversation state, which is stored with every step, so a flow survives a
restart; the proposal is written only on confirm, in the same transaction as the step.
"""
from __future__ import annotations

from handlers.idle import at_menu
import re

from bot.events import Kind
from bot.filters import button, kind, state_in, state_is
from bot.payloads import encode
from bot.replies import Button
from bot.routing import Context, Router
from handlers.keyboards import back_cancel
from handlers.photos import not_kept, refusal
from storage.proposals import NewProposal

router = Router("proposals")

CATEGORY, TEXT, PHOTOS, LOCATION, REVIEW = (
    "proposal:category", "proposal:text", "proposal:photos", "proposal:location", "proposal:review")
PREVIOUS = {TEXT: CATEGORY, PHOTOS: TEXT, LOCATION: PHOTOS, REVIEW: LOCATION}
COORDINATES = re.compile(r"\A\s*(-?\d{1,2}(?:\.\d+)?)\s*[,; ]\s*(-?\d{1,3}(?:\.\d+)?)\s*\Z")


def receipt(ctx: Context, proposal_id: int) -> str:
    return f"{ctx.settings.proposals.receipt_prefix}{proposal_id}"


def category_title(ctx: Context, key: str) -> str:
    for category in ctx.settings.proposals.categories:
        if category.key == key:
            return category.title_in(ctx.language, ctx.texts.default)
    return key


# -- entering and leaving ------------------------------------------------------------------

@router.on(at_menu, button("menu", "propose"))
async def begin(ctx: Context, payload) -> None:
    ctx.goto(CATEGORY, clear=True)


@router.on(state_in("proposal:"), button("nav", "cancel"))
async def cancel(ctx: Context, payload) -> None:
    ctx.say(ctx.t("proposal.cancelled"))
    ctx.goto("", clear=True)


@router.on(state_in("proposal:"), button("nav", "back"))
async def back(ctx: Context, payload) -> None:
    ctx.goto(PREVIOUS.get(ctx.state, ""), clear=ctx.state == CATEGORY)


# -- category ------------------------------------------------------------------------------

@router.prompt(CATEGORY)
async def ask_category(ctx: Context) -> None:
    rows = [[Button(label=c.title_in(ctx.language, ctx.texts.default), payload=encode("cat", c.key))]
            for c in ctx.settings.proposals.categories]
    ctx.say(ctx.t("proposal.category_prompt"), [*rows, back_cancel(ctx, back=False)])


@router.on(state_is(CATEGORY), button("cat"))
async def chose_category(ctx: Context, payload) -> None:
    key = payload.arg(0)
    if key not in {c.key for c in ctx.settings.proposals.categories}:
        ctx.say(ctx.t("proposal.unknown_category"))
        await ask_category(ctx)
        return
    ctx.data["category"] = key
    ctx.goto(TEXT)


# -- text ----------------------------------------------------------------------------------

@router.prompt(TEXT)
async def ask_text(ctx: Context) -> None:
    limits = ctx.settings.proposals
    ctx.say(ctx.t("proposal.text_prompt", min=limits.text_min_length, max=limits.text_max_length),
            [back_cancel(ctx)])


@router.on(state_is(TEXT), kind(Kind.TEXT))
async def got_text(ctx: Context) -> None:
    limits = ctx.settings.proposals
    text = ctx.event.text.strip()
    if len(text) < limits.text_min_length:
        ctx.say(ctx.t("proposal.text_too_short", length=len(text), min=limits.text_min_length),
                [back_cancel(ctx)])
        return
    if len(text) > limits.text_max_length:
        ctx.say(ctx.t("proposal.text_too_long", length=len(text), max=limits.text_max_length),
                [back_cancel(ctx)])
        return
    ctx.data["text"] = text
    ctx.goto(PHOTOS if limits.max_photos else LOCATION)


@router.on(state_is(TEXT), kind(Kind.PHOTOS, Kind.LOCATION, Kind.CONTACT, Kind.UNSUPPORTED))
async def not_text(ctx: Context) -> None:
    ctx.say(ctx.t("proposal.text_expected"), [back_cancel(ctx)])


# -- photos --------------------------------------------------------------------------------

@router.prompt(PHOTOS, photos=True)
async def ask_photos(ctx: Context) -> None:
    maximum = ctx.settings.proposals.max_photos
    ctx.say(ctx.t("proposal.photos_prompt", max=maximum, count=len(ctx.data.get("photos", []))),
            [[Button(label=ctx.t("proposal.next"), payload=encode("prop", "next"))], back_cancel(ctx)])


@router.on(state_is(PHOTOS), kind(Kind.PHOTOS))
async def got_photos(ctx: Context) -> None:
    maximum = ctx.settings.proposals.max_photos
    photos: list[list[str]] = ctx.data.setdefault("photos", [])
    usable = [p for p in ctx.event.photos if p.file_key]
    if not usable:
        ctx.say(not_kept(ctx))
        await ask_photos(ctx)
        return
    if (some_refused := refusal(ctx)) is not None:
        ctx.say(some_refused)
    room = maximum - len(photos)
    photos.extend([p.file_key, p.mime_type] for p in usable[:room])
    if len(usable) > room:
        ctx.say(ctx.t("proposal.photos_limit", max=maximum))
    if len(photos) >= maximum:
        ctx.goto(LOCATION)
        return
    ctx.say(ctx.t("proposal.photo_added", count=len(photos), max=maximum),
            [[Button(label=ctx.t("proposal.next"), payload=encode("prop", "next"))], back_cancel(ctx)])


@router.on(state_is(PHOTOS), button("prop", "next"))
async def photos_done(ctx: Context, payload) -> None:
    ctx.goto(LOCATION)


# -- place ---------------------------------------------------------------------------------

@router.prompt(LOCATION)
async def ask_location(ctx: Context) -> None:
    ctx.say(ctx.t("proposal.location_prompt"),
            [[Button(label=ctx.t("proposal.send_location"), request="location")],
             [Button(label=ctx.t("proposal.skip"), payload=encode("prop", "skip"))],
             back_cancel(ctx)])


@router.on(state_is(LOCATION), kind(Kind.LOCATION))
async def got_point(ctx: Context) -> None:
    point = ctx.event.location
    ctx.data.update(latitude=point.latitude, longitude=point.longitude, address="")
    ctx.goto(REVIEW)


@router.on(state_is(LOCATION), kind(Kind.TEXT))
async def got_address(ctx: Context) -> None:
    text = ctx.event.text.strip()
    match = COORDINATES.match(text)
    if match and abs(float(match[1])) <= 90 and abs(float(match[2])) <= 180:
        ctx.data.update(latitude=float(match[1]), longitude=float(match[2]), address="")
        ctx.goto(REVIEW)
        return
    maximum = ctx.settings.proposals.address_max_length
    if len(text) > maximum:
        ctx.say(ctx.t("proposal.address_too_long", max=maximum))
        await ask_location(ctx)
        return
    ctx.data.update(address=text, latitude=None, longitude=None)
    ctx.goto(REVIEW)


@router.on(state_is(LOCATION), button("prop", "skip"))
async def skip_location(ctx: Context, payload) -> None:
    ctx.data.update(address="", latitude=None, longitude=None)
    ctx.goto(REVIEW)


# -- review and receipt --------------------------------------------------------------------

def describe_place(ctx: Context) -> str:
    if ctx.data.get("latitude") is not None:
        return ctx.t("proposal.place_point", latitude=ctx.data["latitude"], longitude=ctx.data["longitude"])
    return ctx.data.get("address") or ctx.t("proposal.place_none")


@router.prompt(REVIEW)
async def ask_review(ctx: Context) -> None:
    ctx.say(ctx.t("proposal.review_prompt", category=category_title(ctx, ctx.data.get("category", "")),
                  text=ctx.data.get("text", ""), photos=len(ctx.data.get("photos", [])),
                  place=describe_place(ctx)),
            [[Button(label=ctx.t("proposal.confirm"), payload=encode("prop", "confirm"))], back_cancel(ctx)])


@router.on(state_is(REVIEW), button("prop", "confirm"))
async def confirm(ctx: Context, payload) -> None:
    draft = ctx.data
    if not draft.get("category") or not draft.get("text"):
        ctx.goto(CATEGORY, clear=True)  # a draft damaged by hand: start over rather than store junk
        return
    proposal_id = await ctx.db.proposals.create(NewProposal(
        resident_id=ctx.resident.id, channel=ctx.resident.channel, source=ctx.resident.first_source,
        category=draft["category"], text=draft["text"], address=draft.get("address", ""),
        latitude=draft.get("latitude"), longitude=draft.get("longitude"),
        photos=[tuple(p) for p in draft.get("photos", [])]))
    ctx.say(ctx.t("proposal.accepted", receipt=receipt(ctx, proposal_id)))
    ctx.goto("", clear=True)


# -- my proposals --------------------------------------------------------------------------

@router.on(at_menu, button("menu", "mine"))
async def mine(ctx: Context, payload) -> None:
    limit = ctx.settings.proposals.list_limit
    found = await ctx.db.proposals.of_resident(ctx.resident.id, limit)
    if not found:
        ctx.say(ctx.t("proposal.mine_empty"))
    else:
        lines = [ctx.t("proposal.mine_header", count=len(found))]
        for item in found:
            short = item.text if len(item.text) <= 60 else item.text[:59] + "…"
            lines.append(ctx.t("proposal.mine_item", receipt=receipt(ctx, item.id), date=item.created_at[:10],
                               category=category_title(ctx, item.category), text=short,
                               status=ctx.t(f"status.{item.status}")))
        ctx.say("\n".join(lines))
    ctx.goto("")
