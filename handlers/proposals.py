"""The proposal journey: text → one screen that holds the rest → receipt.

    (menu) ─propose─▶ text ─text─▶ draft ─send─▶ receipt (the end: three buttons, no menu)
                       ▲  back      │ ▲   │
                       └────────────┤ │   └─send, public ideas like it─▶ similar ─«Отправить мою»─▶ receipt
                                    │ │                                        └─«Поддержать П-N»─▶ supported (end)
                                    │ └─ photo (sent, or «📷 Добавить фото») · place (📍 or an address typed)
                                    └──«🏷 Другой раздел»──▶ category ─cat─▶ draft
    every step: "cancel" ▶ (menu), nothing stored

A resident is asked only what the bot cannot know: the idea's text. The category is the first
configured one unless they change it on the draft (``proposals.ask_category`` asks it right after
the text instead); photos and the place are optional and added on the draft itself, which shows
all that will be sent, so its «✅ Отправить» is the one confirmation and the receipt ends the
journey. The draft lives in the conversation state, stored with every step, so a flow survives a
restart; the proposal is written only on send, in the same transaction as the step.

At «Отправить», public proposals like the draft (storage/similar_proposals.py) are offered to
support instead; a support is a vote for that idea, and the draft is then not sent (the idea is
there already: a second copy would only split its votes). Nothing similar: no extra step.
"""
from __future__ import annotations

import re
from functools import lru_cache

from bot.core.events import Kind
from bot.core.filters import button, kind, state_in, state_is
from bot.core.i18n import Texts
from bot.core.keyboard_memory import normalised
from bot.core.payloads import encode
from bot.core.replies import Button
from bot.core.routing import Context, Router
from bot.numbers import whole_number
from handlers.idle import at_menu
from handlers.keyboards import back_cancel, nav_row, to_menu
from handlers.photos import not_kept, refusal
from handlers.times import town_date
from storage.ports.proposals import NewProposal
from storage.ports.residents import Resident

router = Router("proposals")

TEXT, CATEGORY, DRAFT = "proposal:text", "proposal:category", "proposal:draft"
SIMILAR = "proposal:similar"  # at «Отправить»: public proposals like the draft, to support instead
# Steps of earlier versions (no longer steps: no prompt) a resident may still be in after an
# upgrade: whatever they send takes them to the draft, which goes on.
RETIRED = frozenset({"proposal:photos", "proposal:location", "proposal:review"})
PROP = "prop"
NO_MORE_PHOTOS = "photos_full"  # set in the draft once it holds as many photos as it may
COORDINATES = re.compile(r"\A\s*(-?\d{1,2}(?:\.\d+)?)\s*[,; ]\s*(-?\d{1,3}(?:\.\d+)?)\s*\Z")


def receipt(ctx: Context, proposal_id: int) -> str:
    return f"{ctx.settings.proposals.receipt_prefix}{proposal_id}"


def category_title(ctx: Context, key: str) -> str:
    for category in ctx.settings.proposals.categories:
        if category.key == key:
            return category.title_in(ctx.language, ctx.texts.default)
    return key


def takes_photos(resident: Resident) -> bool:
    """The draft asks for photos until it holds as many as it may (the photo gate reads this)."""
    return not resident.state_data.get(NO_MORE_PHOTOS)


# -- entering and leaving ------------------------------------------------------------------

@router.on(at_menu, button("menu", "propose"))
async def begin(ctx: Context, payload) -> None:
    ctx.goto(TEXT, clear=True)


@router.on(state_in("proposal:"), button("nav", "cancel"))
async def cancel(ctx: Context, payload) -> None:
    ctx.say(ctx.t("proposal.cancelled"))
    ctx.goto("", clear=True)


def has_a_draft(ctx: Context) -> bool:
    return bool(ctx.data.get("text")) and bool(ctx.data.get("category"))


@router.on(state_in("proposal:"), button("nav", "back"))
async def back(ctx: Context, payload) -> None:
    """From the draft to its text (a new text replaces the old, photos and place stay); from
    the similar proposals, the text or the category back to the draft when there is one, else
    the category's to the text."""
    if ctx.state == DRAFT:
        ctx.goto(TEXT)
    elif has_a_draft(ctx):
        ctx.goto(DRAFT)
    elif ctx.state == CATEGORY and ctx.data.get("text"):
        ctx.goto(TEXT)
    else:
        ctx.goto("", clear=True)


@router.on(state_is(*RETIRED))
async def retired_step(ctx: Context) -> None:
    if has_a_draft(ctx):
        to_draft(ctx)
    else:
        ctx.goto(TEXT, clear=True)


# -- text ----------------------------------------------------------------------------------

def text_buttons(ctx: Context) -> list[Button]:
    return back_cancel(ctx, back=has_a_draft(ctx))  # back to the draft, when its text is being rewritten


@router.prompt(TEXT)
async def ask_text(ctx: Context) -> None:
    limits = ctx.settings.proposals
    ctx.say(ctx.t("proposal.text_prompt", min=limits.text_min_length, max=limits.text_max_length),
            [text_buttons(ctx)])


@router.on(state_is(TEXT), kind(Kind.TEXT))
async def got_text(ctx: Context) -> None:
    limits = ctx.settings.proposals
    text = ctx.event.text.strip()
    if len(text) < limits.text_min_length:
        ctx.say(ctx.t("proposal.text_too_short", length=len(text), min=limits.text_min_length),
                [text_buttons(ctx)])
        return
    if len(text) > limits.text_max_length:
        ctx.say(ctx.t("proposal.text_too_long", length=len(text), max=limits.text_max_length),
                [text_buttons(ctx)])
        return
    ctx.data["text"] = text
    if not ctx.data.get("category"):
        if limits.ask_category:
            ctx.goto(CATEGORY)
            return
        ctx.data["category"] = limits.categories[0].key
    to_draft(ctx)


@router.on(state_is(TEXT), kind(Kind.PHOTOS, Kind.LOCATION, Kind.CONTACT, Kind.UNSUPPORTED))
async def not_text(ctx: Context) -> None:
    ctx.say(ctx.t("proposal.text_expected"), [text_buttons(ctx)])


# -- category ------------------------------------------------------------------------------

@router.prompt(CATEGORY)
async def ask_category(ctx: Context) -> None:
    rows = [[Button(label=c.title_in(ctx.language, ctx.texts.default), payload=encode("cat", c.key))]
            for c in ctx.settings.proposals.categories]
    ctx.say(ctx.t("proposal.category_prompt"), [*rows, back_cancel(ctx)])


@router.on(state_is(CATEGORY), button("cat"))
async def chose_category(ctx: Context, payload) -> None:
    key = payload.arg(0)
    if key not in {c.key for c in ctx.settings.proposals.categories}:
        ctx.say(ctx.t("proposal.unknown_category"))
        await ask_category(ctx)
        return
    ctx.data["category"] = key
    to_draft(ctx)


@router.on(state_is(DRAFT), button(PROP, "category"))
async def change_category(ctx: Context, payload) -> None:
    ctx.goto(CATEGORY)


# -- the draft: all that will be sent, photos and the place added here ---------------------------

def room_for_photos(ctx: Context) -> bool:
    return not ctx.data.get(NO_MORE_PHOTOS) and len(ctx.data.get("photos", [])) < ctx.settings.proposals.max_photos


def note_room(ctx: Context) -> None:
    if not room_for_photos(ctx):
        ctx.data[NO_MORE_PHOTOS] = True  # the photo gate keeps no more photos for this draft


def to_draft(ctx: Context) -> None:
    note_room(ctx)
    ctx.goto(DRAFT)


def draft_buttons(ctx: Context) -> tuple[tuple[Button, ...], ...]:
    return _draft_buttons(ctx.texts, ctx.language, room_for_photos(ctx))


@lru_cache(maxsize=64)
def _draft_buttons(texts: Texts, language: str, photos: bool) -> tuple[tuple[Button, ...], ...]:
    """The draft's keyboard, built once per language (shown after every change of the draft):
    the same objects each time let the core remember how it is laid out."""
    def label(key: str) -> str:
        return texts.get(language, key)
    rows = ((Button(label=label("proposal.add_photo"), request="photo", payload=encode(PROP, "photo")),),) \
        if photos else ()
    return (*rows,
            (Button(label=label("proposal.add_place"), request="location"),),
            (Button(label=label("proposal.change_category"), payload=encode(PROP, "category")),),
            (Button(label=label("proposal.confirm"), payload=encode(PROP, "confirm")),),
            nav_row(texts, language))


def describe_place(ctx: Context) -> str:
    if ctx.data.get("latitude") is not None:
        return ctx.t("proposal.place_point", latitude=ctx.data["latitude"], longitude=ctx.data["longitude"])
    return ctx.data.get("address") or ctx.t("proposal.place_none")


@router.prompt(DRAFT, photos=takes_photos)
async def show_draft(ctx: Context) -> None:
    maximum = ctx.settings.proposals.max_photos
    summary = ctx.t("proposal.draft", text=ctx.data.get("text", ""),
                    category=category_title(ctx, ctx.data.get("category", "")),
                    photos=ctx.t("proposal.draft_photos", count=len(ctx.data.get("photos", [])), max=maximum)
                    if maximum else ctx.t("proposal.draft_no_photos"),
                    place=describe_place(ctx))
    hint = ctx.t("proposal.draft_hint" if room_for_photos(ctx) else "proposal.draft_hint_place")
    ctx.say(f"{summary}\n\n{hint}", draft_buttons(ctx))


def no_room(ctx: Context) -> str:
    maximum = ctx.settings.proposals.max_photos
    return ctx.t("proposal.photos_full", max=maximum) if maximum else ctx.t("fallback.photo_unexpected")


@router.on(state_is(DRAFT), button(PROP, "photo"))
async def how_to_add_a_photo(ctx: Context, payload) -> None:
    """The «📷 Добавить фото» button where the client cannot open a picker itself: how to send one."""
    ctx.say(ctx.t("proposal.photo_how", max=ctx.settings.proposals.max_photos) if room_for_photos(ctx)
            else no_room(ctx))
    to_draft(ctx)


@router.on(state_is(DRAFT), kind(Kind.PHOTOS))
async def got_photos(ctx: Context) -> None:
    if not room_for_photos(ctx):
        ctx.say(no_room(ctx))  # the photo gate kept none of them
        to_draft(ctx)
        return
    maximum = ctx.settings.proposals.max_photos
    photos: list[list[str]] = ctx.data.setdefault("photos", [])
    usable = [p for p in ctx.event.photos if p.file_key]
    if not usable:
        ctx.say(not_kept(ctx))
        to_draft(ctx)
        return
    if (some_refused := refusal(ctx)) is not None:
        ctx.say(some_refused)
    room = maximum - len(photos)
    photos.extend([p.file_key, p.mime_type] for p in usable[:room])
    if len(usable) > room:
        ctx.say(ctx.t("proposal.photos_limit", max=maximum))
    note_room(ctx)
    # Short, with the draft's buttons: an album comes as one message per photo.
    ctx.say(ctx.t("proposal.photo_added", count=len(photos), max=maximum), draft_buttons(ctx))


@router.on(state_is(DRAFT), kind(Kind.LOCATION))
async def got_point(ctx: Context) -> None:
    point = ctx.event.location
    ctx.data.update(latitude=point.latitude, longitude=point.longitude, address="")
    ctx.goto(DRAFT)


def names_the_place_button(ctx: Context, text: str) -> bool:
    """The label of «📍 Указать место» as text: what a client that cannot share a place sends
    when the button is pressed. It is no address."""
    return normalised(text) == normalised(ctx.t("proposal.add_place"))


@router.on(state_is(DRAFT), kind(Kind.TEXT))
async def got_address(ctx: Context) -> None:
    """A text on the draft is its place: an address, a landmark, or "lat, lon"."""
    text = ctx.event.text.strip()
    if names_the_place_button(ctx, text):
        ctx.say(ctx.t("proposal.place_how"))
        ctx.goto(DRAFT)
        return
    match = COORDINATES.match(text)
    if match and abs(float(match[1])) <= 90 and abs(float(match[2])) <= 180:
        ctx.data.update(latitude=float(match[1]), longitude=float(match[2]), address="")
        ctx.goto(DRAFT)
        return
    maximum = ctx.settings.proposals.address_max_length
    if len(text) > maximum:
        ctx.say(ctx.t("proposal.address_too_long", max=maximum))
        ctx.goto(DRAFT)
        return
    ctx.data.update(address=text, latitude=None, longitude=None)
    ctx.goto(DRAFT)


# -- similar proposals: support one instead of sending the same idea again ---------------------

async def similar_to_draft(ctx: Context) -> list:
    """Public proposals like the draft, once per text: a resident who saw them and went back to
    the draft without changing the text is not asked again."""
    limits = ctx.settings.proposals
    if not limits.similar_limit or ctx.data.get("similar_for") == ctx.data["text"]:
        return []
    return await ctx.db.similar.for_resident(ctx.data["text"], ctx.resident.id, statuses=limits.similar_statuses,
                                             limit=limits.similar_limit, threshold=limits.similar_threshold)


def short(text: str, length: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[:length - 1] + "…"


@router.prompt(SIMILAR)
async def show_similar(ctx: Context) -> None:
    offered = await ctx.db.similar.public(ctx.data.get("similar", []), ctx.settings.proposals.similar_statuses)
    items = "\n".join(ctx.t("proposal.similar_item", receipt=receipt(ctx, item.id), text=short(item.text),
                             supports=item.supports) for item in offered)
    rows = [[Button(label=ctx.t("proposal.support", receipt=receipt(ctx, item.id)),
                    payload=encode(PROP, "support", item.id))] for item in offered]
    ctx.say(ctx.t("proposal.similar", items=items),
            [*rows, [Button(label=ctx.t("proposal.send_mine"), payload=encode(PROP, "send"))], back_cancel(ctx)])


@router.on(state_is(SIMILAR), button(PROP, "send"))
async def send_mine(ctx: Context, payload) -> None:
    await send(ctx)


@router.on(state_is(SIMILAR), button(PROP, "support"))
async def support(ctx: Context, payload) -> None:
    """A vote for an idea already sent; the draft is not sent (the idea is there already)."""
    number = whole_number(payload.arg(1))
    limits = ctx.settings.proposals
    if number is None or not await ctx.db.supports.supportable(number, ctx.resident.id, limits.similar_statuses):
        ctx.say(ctx.t("proposal.support_unavailable"))  # a forged or stale button: nothing stored
        ctx.goto(SIMILAR)
        return
    added = await ctx.db.supports.add(number, ctx.resident.id)
    count = await ctx.db.supports.count(number)
    ctx.say(ctx.t("proposal.supported" if added else "proposal.support_already",
                  receipt=receipt(ctx, number), count=count),
            [[Button(label=ctx.t("proposal.another"), payload=encode("menu", "propose"))], to_menu(ctx)])
    ctx.resident.state, ctx.resident.state_data = "", {}


@router.on(state_is(SIMILAR))
async def similar_again(ctx: Context) -> None:
    ctx.goto(SIMILAR)  # anything else: the question again


# -- the receipt ---------------------------------------------------------------------------

@router.on(state_is(DRAFT), button(PROP, "confirm"))
async def confirm(ctx: Context, payload) -> None:
    draft = ctx.data
    if not draft.get("category") or not draft.get("text"):
        ctx.goto(TEXT, clear=True)  # a draft damaged by hand: start over rather than store junk
        return
    if similar := await similar_to_draft(ctx):
        draft["similar_for"] = draft["text"]
        draft["similar"] = [item.id for item in similar]  # numbers only: texts are read when shown
        ctx.goto(SIMILAR)
        return
    await send(ctx)


async def send(ctx: Context) -> None:
    draft = ctx.data
    if not draft.get("category") or not draft.get("text"):
        ctx.goto(TEXT, clear=True)
        return
    proposal_id = await ctx.db.proposals.create(NewProposal(
        resident_id=ctx.resident.id, channel=ctx.resident.channel, source=ctx.resident.first_source,
        category=draft["category"], text=draft["text"], address=draft.get("address", ""),
        latitude=draft.get("latitude"), longitude=draft.get("longitude"),
        photos=[tuple(p) for p in draft.get("photos", [])]))
    # The receipt is the end, with a short keyboard rather than the whole menu below it, so that
    # the number stays in view on a small screen; the resident is at the menu all the same.
    ctx.say(ctx.t("proposal.accepted", receipt=receipt(ctx, proposal_id)),
            [[Button(label=ctx.t("proposal.another"), payload=encode("menu", "propose"))],
             [Button(label=ctx.t("menu.mine"), payload=encode("menu", "mine"))],
             to_menu(ctx)])
    ctx.resident.state, ctx.resident.state_data = "", {}


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
            lines.append(ctx.t("proposal.mine_item", receipt=receipt(ctx, item.id),
                               date=town_date(ctx, item.created_at), category=category_title(ctx, item.category),
                               text=short, status=ctx.t(f"status.{item.status}")))
        ctx.say("\n".join(lines))
    ctx.goto("")
