"""/privacy shows what is stored about the resident; /forget erases it after a confirmation.

The confirmation offers two ways: keep the resident's proposals, survey answers and contest works
without them (the default, the first button), or erase their texts and photos too.
"""
from __future__ import annotations

from bot.core.filters import button, command, state_is
from bot.core.payloads import encode
from bot.core.replies import Button
from bot.core.routing import Context, Router
from handlers.idle import at_menu
from handlers.keyboards import to_menu
from handlers.times import town_time
from storage.ports.privacy import ErasureMode

router = Router("privacy", open_before_consent=True)  # seeing and erasing one's data needs no consent

PRIVACY = "privacy"
CONFIRM = "privacy:confirm"


@router.on(command("privacy"))
async def privacy_command(ctx: Context, argument: str) -> None:
    ctx.goto(PRIVACY, clear=True)


@router.on(at_menu, button("menu", "privacy"))
async def privacy_button(ctx: Context, payload) -> None:
    ctx.goto(PRIVACY)


def channel_name(ctx: Context, channel: str) -> str:
    """The channel as residents call it in their language; a channel without a name in the
    locales (one added later) by its own."""
    key = f"privacy.channel.{channel}"
    return ctx.t(key) if key in ctx.texts.keys(ctx.texts.default) else channel


@router.prompt(PRIVACY)
async def show_stored(ctx: Context) -> None:
    resident = ctx.resident
    nothing = ctx.t("privacy.nothing")
    consent = (ctx.t("privacy.consent_given", date=town_time(ctx, resident.consent_at),
                     version=resident.consent_version)
               if resident.consent_at and resident.consent_version else ctx.t("privacy.consent_none"))
    titles = {topic.key: topic.title_in(ctx.language, ctx.texts.default) for topic in ctx.settings.subscriptions.topics}
    topics = sorted(titles.get(key, key) for key in await ctx.db.subscriptions.topics_of(resident.id))
    ctx.say(ctx.t("privacy.summary", channel=channel_name(ctx, resident.channel), name=resident.display_name or nothing,
                  language=ctx.texts.get(ctx.language, "language_name"),
                  phone=resident.phone or nothing, consent=consent, source=resident.first_source or nothing,
                  topics=", ".join(topics) or nothing,
                  proposals=await ctx.db.proposals.count_of_resident(resident.id),
                  supports=len(await ctx.db.supports.of_resident(resident.id))),
            [[Button(label=ctx.t("privacy.forget"), payload=encode("priv", "forget"))], to_menu(ctx)])


@router.on(command("forget"))
async def forget_command(ctx: Context, argument: str) -> None:
    ctx.goto(CONFIRM, clear=True)


@router.on(state_is(PRIVACY), button("priv", "forget"))
async def forget_button(ctx: Context, payload) -> None:
    ctx.goto(CONFIRM)


@router.prompt(CONFIRM)
async def ask_confirmation(ctx: Context) -> None:
    ctx.say(ctx.t("privacy.confirm_prompt"),
            [[Button(label=ctx.t("privacy.confirm"), payload=encode("priv", "confirm"))],
             [Button(label=ctx.t("privacy.erase_all"), payload=encode("priv", "erase"))],
             [Button(label=ctx.t("privacy.keep"), payload=encode("priv", "keep"))]])


@router.on(state_is(CONFIRM), button("priv", "confirm"))
async def forget_keeping_proposals(ctx: Context, payload) -> None:
    await forget(ctx, ErasureMode.KEEP)


@router.on(state_is(CONFIRM), button("priv", "erase"))
async def forget_everything(ctx: Context, payload) -> None:
    await forget(ctx, ErasureMode.ERASE)


async def forget(ctx: Context, mode: ErasureMode) -> None:
    language = ctx.language  # read before the profile that holds it is gone
    erasure = await ctx.db.privacy.forget(ctx.resident, mode)
    ctx.forgotten = True
    ctx.erased_files = erasure.files
    if mode is ErasureMode.ERASE:
        text = ctx.texts.get(language, "privacy.forgotten_erased", subscriptions=erasure.deleted_subscriptions,
                             messages=erasure.deleted_messages, proposals=erasure.erased_proposals,
                             answers=erasure.erased_survey_answers, works=erasure.erased_contest_entries)
    else:
        text = ctx.texts.get(language, "privacy.forgotten", subscriptions=erasure.deleted_subscriptions,
                             messages=erasure.deleted_messages, proposals=erasure.anonymised_proposals)
    ctx.say(text, [[Button(label=ctx.texts.get(language, "nav.start_again"), payload=encode("nav", "start"))]])


@router.on(state_is(CONFIRM), button("priv", "keep"))
async def keep(ctx: Context, payload) -> None:
    ctx.say(ctx.t("privacy.kept"))
    ctx.goto("", clear=True)
