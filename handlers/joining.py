"""«Присоединяйтесь»: a resident or an organisation offers to help the project as a volunteer or a
partner. Its own consent comes first, before anything is asked, and nothing is stored until the
last step; a forged button of a later step, pressed from anywhere else, matches nothing here.

    (menu) ─menu:join | /join | ?start=join─▶ consent ─join:agree─▶ kind ─join:kind:X─▶ name
        ─text─▶ contact ─join:contact:phone|email─▶ contact value ─text─▶ help
                        ─join:contact:messenger────────────────────────────▶ help
    help ─join:help:KEY (toggles)─▶ help ─join:other─▶ other ─text─▶ help ─join:done─▶ stored ▶ (menu)

Someone who joined sees their offer instead, and may send it again or leave (``join:leave``
erases it); /forget erases it with everything else.
"""
from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from bot.core.events import Kind
from bot.core.filters import button, command, kind, state_in, state_is
from bot.core.payloads import encode
from bot.core.replies import Button
from bot.core.routing import Context, Router
from bot.phones import e164, readable
from handlers.idle import at_menu
from handlers.keyboards import back_cancel, to_menu
from storage.clock import now
from storage.ports.volunteers import NewVolunteer, Volunteer
from storage.statuses import ContactKind, VolunteerKind

router = Router("joining")

NS = "join"
CONSENT, KIND, NAME, CONTACT, CONTACT_VALUE, HELP, OTHER = (
    "join:consent", "join:kind", "join:name", "join:contact", "join:contact_value", "join:help", "join:other")
DRAFT = "join"      # ctx.data[DRAFT]: the offer being made, only after its consent


def _draft(ctx: Context) -> dict:
    found = ctx.data.get(DRAFT)
    return found if isinstance(found, dict) else {}


def _consented(ctx: Context) -> bool:
    return bool(_draft(ctx).get("consent_at"))


# -- the way in ------------------------------------------------------------------------------

@router.on(at_menu, button("menu", "join"))
async def from_menu(ctx: Context, payload) -> None:
    await open_joining(ctx)


@router.on(command("join"))
async def by_command(ctx: Context, argument: str) -> None:
    await open_joining(ctx)


async def open_joining(ctx: Context) -> None:
    """The offer they made, or the consent to make one (also the deep link ``?start=join``)."""
    offer = await ctx.db.volunteers.of_resident(ctx.resident.id)
    if offer is None:
        ctx.goto(CONSENT, clear=True)
        return
    ctx.say("\n".join([ctx.t("join.yours"), *summary(ctx, offer)]),
            [[Button(label=ctx.t("join.again"), payload=encode(NS, "again"))],
             [Button(label=ctx.t("join.leave"), payload=encode(NS, "leave"))], to_menu(ctx)])
    ctx.goto("", clear=True)


@router.on(at_menu, button(NS, "again"))
async def again(ctx: Context, payload) -> None:
    ctx.goto(CONSENT, clear=True)


@router.on(at_menu, button(NS, "leave"))
async def leave(ctx: Context, payload) -> None:
    left = await ctx.db.volunteers.leave(ctx.resident.id)
    ctx.say(ctx.t("join.left" if left else "join.not_joined"), [to_menu(ctx)])
    ctx.goto("", clear=True)


@router.on(state_in("join:"), button("nav", "cancel"))
async def cancel(ctx: Context, payload) -> None:
    ctx.say(ctx.t("join.cancelled"))
    ctx.goto("", clear=True)


# -- its own consent -------------------------------------------------------------------------

@router.prompt(CONSENT)
async def ask_consent(ctx: Context) -> None:
    ctx.say(ctx.t("join.consent", contact=ctx.settings.privacy.contact_email),
            [[Button(label=ctx.t("join.agree"), payload=encode(NS, "agree"))], back_cancel(ctx, back=False)])


@router.on(state_is(CONSENT), button(NS, "agree"))
async def agree(ctx: Context, payload) -> None:
    ctx.data[DRAFT] = {"consent_at": now()}
    ctx.goto(KIND)


# -- who, and their name ---------------------------------------------------------------------

@router.prompt(KIND)
async def ask_kind(ctx: Context) -> None:
    ctx.say(ctx.t("join.kind_prompt"),
            [[Button(label=ctx.t(f"join.kind_{k}"), payload=encode(NS, "kind", k))] for k in VolunteerKind]
            + [back_cancel(ctx, back=False)])


@router.on(state_is(KIND), button(NS, "kind"))
async def chose_kind(ctx: Context, payload) -> None:
    if payload.arg(1) not in set(VolunteerKind) or not _consented(ctx):
        ctx.goto(KIND if _consented(ctx) else CONSENT)
        return
    _draft(ctx)["kind"] = payload.arg(1)
    ctx.goto(NAME)


@router.prompt(NAME)
async def ask_name(ctx: Context) -> None:
    ctx.say(ctx.t(f"join.name_prompt_{_draft(ctx).get('kind', VolunteerKind.PERSON)}"), [back_cancel(ctx, back=False)])


@router.on(state_is(NAME), kind(Kind.TEXT))
async def got_name(ctx: Context) -> None:
    name = " ".join(ctx.event.text.split())
    limit = ctx.settings.joining.name_max_length
    if not name or len(name) > limit:
        ctx.say(ctx.t("join.name_too_long", max=limit))
        ctx.goto(NAME)
        return
    _draft(ctx)["name"] = name
    ctx.goto(CONTACT)


# -- how to reach them -----------------------------------------------------------------------

@router.prompt(CONTACT)
async def ask_contact(ctx: Context) -> None:
    ctx.say(ctx.t("join.contact_prompt"),
            [[Button(label=ctx.t(f"join.contact_{k}"), payload=encode(NS, "contact", k))] for k in ContactKind]
            + [back_cancel(ctx, back=False)])


@router.on(state_is(CONTACT), button(NS, "contact"))
async def chose_contact(ctx: Context, payload) -> None:
    choice = payload.arg(1)
    if choice not in set(ContactKind):
        ctx.goto(CONTACT)
        return
    draft = _draft(ctx)
    draft["contact_kind"], draft["contact"] = choice, ""
    ctx.goto(HELP if choice == ContactKind.MESSENGER else CONTACT_VALUE)


@router.prompt(CONTACT_VALUE)
async def ask_contact_value(ctx: Context) -> None:
    ctx.say(ctx.t(f"join.{_draft(ctx).get('contact_kind', ContactKind.PHONE)}_prompt"), [back_cancel(ctx, back=False)])


@router.on(state_is(CONTACT_VALUE), kind(Kind.TEXT))
async def got_contact_value(ctx: Context) -> None:
    draft = _draft(ctx)
    text = ctx.event.text.strip()
    if draft.get("contact_kind") == ContactKind.EMAIL:
        try:
            value = validate_email(text, check_deliverability=False).normalized
        except EmailNotValidError:
            value = None
    else:
        value = e164(text)
    if not value:
        ctx.say(ctx.t(f"join.{draft.get('contact_kind', ContactKind.PHONE)}_invalid"))
        ctx.goto(CONTACT_VALUE)
        return
    draft["contact"] = value
    ctx.goto(HELP)


# -- what they can help with -----------------------------------------------------------------

@router.prompt(HELP)
async def ask_help(ctx: Context) -> None:
    chosen = set(_draft(ctx).get("help", []))
    rows = [[Button(label=ctx.t("join.chosen" if option.key in chosen else "join.not_chosen",
                                option=option.title_in(ctx.language, ctx.texts.default)),
                    payload=encode(NS, "help", option.key))] for option in ctx.settings.joining.help_options]
    other = _draft(ctx).get("other", "")
    rows.append([Button(label=ctx.t("join.chosen" if other else "join.not_chosen", option=ctx.t("join.other")),
                        payload=encode(NS, "other"))])
    rows.append([Button(label=ctx.t("join.done"), payload=encode(NS, "done"))])
    ctx.say(ctx.t("join.help_prompt"), [*rows, back_cancel(ctx, back=False)])


@router.on(state_is(HELP), button(NS, "help"))
async def toggle_help(ctx: Context, payload) -> None:
    keys = {option.key for option in ctx.settings.joining.help_options}
    chosen = [key for key in _draft(ctx).get("help", []) if key in keys]
    key = payload.arg(1)
    if key in keys:
        chosen = [k for k in chosen if k != key] if key in chosen else [*chosen, key]
    _draft(ctx)["help"] = chosen
    ctx.goto(HELP)


@router.on(state_is(HELP), button(NS, "other"))
async def ask_other(ctx: Context, payload) -> None:
    ctx.goto(OTHER)


@router.prompt(OTHER)
async def other_prompt(ctx: Context) -> None:
    ctx.say(ctx.t("join.other_prompt", max=ctx.settings.joining.other_max_length), [back_cancel(ctx, back=False)])


@router.on(state_is(OTHER), kind(Kind.TEXT))
async def got_other(ctx: Context) -> None:
    text = " ".join(ctx.event.text.split())
    limit = ctx.settings.joining.other_max_length
    if len(text) > limit:
        ctx.say(ctx.t("join.other_too_long", max=limit))
        ctx.goto(OTHER)
        return
    _draft(ctx)["other"] = text
    ctx.goto(HELP)


@router.on(state_is(HELP), button(NS, "done"))
async def done(ctx: Context, payload) -> None:
    draft = _draft(ctx)
    if not all(draft.get(field) for field in ("consent_at", "kind", "name", "contact_kind")):
        ctx.goto(CONSENT, clear=True)  # no way here without them; a forged state starts again
        return
    if not draft.get("help") and not draft.get("other"):
        ctx.say(ctx.t("join.choose_something"))
        ctx.goto(HELP)
        return
    await ctx.db.volunteers.join(NewVolunteer(
        resident_id=ctx.resident.id, channel=ctx.resident.channel, kind=draft["kind"], name=draft["name"],
        contact_kind=draft["contact_kind"], contact=draft.get("contact", ""), help=tuple(draft.get("help", [])),
        help_other=draft.get("other", ""), consent_at=draft["consent_at"]))
    ctx.say(ctx.t("join.thanks"), [to_menu(ctx)])
    ctx.goto("", clear=True)


# -- anything else at a step asks it again -----------------------------------------------------

@router.on(state_in("join:"))
async def ask_again(ctx: Context) -> None:
    if ctx.event.kind is not Kind.REACHABILITY:
        ctx.say(ctx.t("fallback.use_buttons"))
        ctx.goto(ctx.state)


def summary(ctx: Context, offer: Volunteer) -> list[str]:
    """The offer as its author reads it."""
    titles = {option.key: option.title_in(ctx.language, ctx.texts.default)
              for option in ctx.settings.joining.help_options}
    helps = [titles.get(key, key) for key in offer.help] + ([offer.help_other] if offer.help_other else [])
    contact = {ContactKind.PHONE: readable(offer.contact) if offer.contact else "", ContactKind.EMAIL: offer.contact,
               ContactKind.MESSENGER: ctx.t("join.contact_messenger")}.get(ContactKind(offer.contact_kind), "")
    return [ctx.t("join.summary_kind", kind=ctx.t(f"join.kind_{offer.kind}")),
            ctx.t("join.summary_name", name=offer.name), ctx.t("join.summary_contact", contact=contact),
            ctx.t("join.summary_help", help=", ".join(helps))]
