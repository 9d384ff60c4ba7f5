"""Consent to personal-data processing (152-FZ), then the choice of language; and the consent
gate that the routing layer runs in place of any handler or step that needs consent.

    /start ─▶ consent: a short summary, «Согласен(на)» · «Не согласен(на)» · «Подробнее» (the full text)
        ─yes─▶ (menu), in the language the platform reports when we speak it
               └─▶ language question, only when it reports none we speak ─▶ (menu)

The language a platform reports (Telegram's language_code, VK's lang_id, MAX's locale, the
browser's navigator.language, a gateway's field) is kept when we have texts in it and the
resident has chosen none, so nobody is asked what their phone already says; «🌐 Язык» in the
menu changes it. The interface language alone identifies nobody, so it is kept before consent.

Nothing personal is stored before consent: the resident row holds only the channel's
opaque id (and the poster they came from). The display name is written at consent, together
with the version of the consent text the resident saw and the moment they agreed.
"""
from __future__ import annotations

from bot.core.filters import button, state_is
from bot.core.payloads import encode
from bot.core.replies import Button
from bot.core.routing import Context, Router
from handlers.deeplinks import PENDING, follow, remember, target_of

router = Router("onboarding", open_before_consent=True)

CONSENT = "onboarding:consent"
LANGUAGE = "onboarding:language"


@router.consent_gate
async def consent_needed(ctx: Context) -> None:
    """Said once, in place of what needs consent: the resident is asked for it, and what they
    were opening (a poll, or a poster's link from before) is opened right after it."""
    pending = ctx.data.get(PENDING, "")
    target = target_of(ctx.payload) if ctx.payload else ""
    ctx.say(ctx.t("consent.needed"))
    ctx.goto(CONSENT, clear=True)  # nothing of a flow that needed consent is kept
    remember(ctx, target or pending)
    await ctx.finish()  # at once: the gate may stand in for a prompt, after the step was applied


async def adopt_reported_language(ctx: Context) -> None:
    """Keep the language the resident's platform reports, when we speak it and they chose none."""
    reported = ctx.event.language_hint
    if not ctx.resident.language and reported in ctx.texts.languages:
        ctx.resident.language = reported
        await ctx.db.residents.set_language(ctx.resident.id, reported)


def answers(ctx: Context) -> list[list[Button]]:
    return [[Button(label=ctx.t("consent.accept"), payload=encode("consent", "yes"))],
            [Button(label=ctx.t("consent.decline"), payload=encode("consent", "no"))]]


@router.prompt(CONSENT)
async def ask_consent(ctx: Context) -> None:
    # Here, where /start and the gate lead: some platforms report the language only on a typed
    # message (VK's client_info), not on the press that gives consent.
    await adopt_reported_language(ctx)
    privacy = ctx.settings.privacy
    ctx.say(ctx.t("consent.summary", months=privacy.retention_months, operator=privacy.operator),
            [*answers(ctx), [Button(label=ctx.t("consent.more"), payload=encode("consent", "more"))]])


@router.on(state_is(CONSENT), button("consent", "more"))
async def full_text(ctx: Context, payload) -> None:
    privacy = ctx.settings.privacy
    ctx.say(ctx.t("consent.text", months=privacy.retention_months, operator=privacy.operator,
                  version=privacy.consent_version), answers(ctx))


@router.on(state_is(CONSENT), button("consent", "yes"))
async def accepted(ctx: Context, payload) -> None:
    version = ctx.settings.privacy.consent_version
    ctx.resident.consent_at = await ctx.db.residents.record_consent(
        ctx.resident.id, version, ctx.event.display_name[:200])
    ctx.resident.consent_version = version
    await adopt_reported_language(ctx)
    if not ctx.resident.language:
        ctx.say(ctx.t("consent.thanks"))
        ctx.goto(LANGUAGE)
        return
    ctx.say(f"{ctx.t('consent.thanks')}\n{ctx.t('language.kept')}")
    await onboarded(ctx)


@router.on(state_is(CONSENT), button("consent", "no"))
async def declined(ctx: Context, payload) -> None:
    await ctx.db.residents.record_decline(ctx.resident.id)
    ctx.say(ctx.t("consent.declined"))
    ctx.goto("", clear=True)


@router.prompt(LANGUAGE)
async def ask_language(ctx: Context) -> None:
    ctx.say(ctx.t("language.prompt"),
            [[Button(label=ctx.texts.get(language, "language_name"), payload=encode("lang", language))]
             for language in ctx.texts.languages])


@router.on(state_is(LANGUAGE), button("lang"))
async def chose_language(ctx: Context, payload) -> None:
    language = payload.arg(0)
    if language not in ctx.texts.languages:
        await ask_language(ctx)
        return
    # The interface language alone identifies nobody, so it is kept with or without consent.
    ctx.resident.language = language
    await ctx.db.residents.set_language(ctx.resident.id, language)
    ctx.say(ctx.t("language.set"))
    await onboarded(ctx)


async def onboarded(ctx: Context) -> None:
    """To the menu, or straight to what the resident was opening when consent was asked."""
    pending = ctx.data.get(PENDING)
    ctx.goto("", clear=True)
    if pending and ctx.resident.has_consent:
        await follow(ctx, pending)
