"""Conversation logic, channel-agnostic: one router per feature, in the order they are tried.

The order matters and is read here: platform notices first, then commands that work from any
step, then the features, and the catch-all last.

Consent is not checked in the features: the routing layer runs every handler and step behind
the consent gate (``handlers.onboarding.consent_needed``) unless its router or the handler is
declared ``open_before_consent``, as system, commands, episodes, privacy, onboarding, the
menu's about/consent/language buttons and the fallback are.

``features()`` lists what the features register besides their routers (``FEATURE`` in each
module: the sections of the content file, jobs on a clock): the application reads the content
file and schedules the jobs from it, naming none of them.
"""
from pathlib import Path

from bot.core.plugins import Feature
from bot.core.routing import Router

LOCALES = Path(__file__).parent / "locales"


def get_routers() -> list[Router]:
    from handlers import (
        commands,
        contest_voting,
        contests,
        corrections,
        episodes,
        fallback,
        joining,
        menu,
        onboarding,
        phone_check,
        polls,
        privacy,
        proposals,
        quizzes,
        reporting_back,
        subscriptions,
        surveys,
        system,
        which_text,
    )

    return [system.router, commands.router, episodes.router, privacy.router, onboarding.router, menu.router,
            corrections.router, which_text.router, reporting_back.router, joining.router,
            proposals.router, polls.router, phone_check.router,
            surveys.router, quizzes.router, contests.router, contest_voting.router, subscriptions.router,
            fallback.router]


def features() -> list[Feature]:
    from handlers import contests, episodes, polls, quizzes, reporting_back, surveys

    return [polls.FEATURE, quizzes.FEATURE, surveys.FEATURE, contests.FEATURE, episodes.FEATURE,
            reporting_back.FEATURE]
