"""The first screens a resident meets (issue 12): consent as one short summary with «Согласен(на)»,
«Не согласен(на)» and the full text one tap away; then no question about the language when their
messenger or browser reports one we speak, and the question as before when it reports none or
one we do not speak. «🌐 Язык» in the menu changes it either way."""
from __future__ import annotations

import pytest

from tests.drivers import CAMPAIGN, load_content_into, load_world
from tests.journey import all_text, last_buttons
from tests.screen import resident_ref


async def stored(world, resident):
    return await world.app.db.reader.residents.find(*resident_ref(resident))


def reporting(world, language: str):
    """A resident whose client reports ``language`` ("" for none): Telegram's language_code,
    or the browser's language that the web chat's page sends with every message."""
    resident = world.resident(1)
    if hasattr(resident, "language_code"):
        resident.language_code = language
    else:
        resident.language = language
    return resident


async def test_consent_is_one_screen_with_a_summary_and_the_full_text_is_one_tap_away(tmp_path):
    async with load_world("webchat")(tmp_path) as world:
        await load_content_into(world.app, CAMPAIGN)
        resident = reporting(world, "ru")
        privacy = world.app.settings.privacy
        greeting = await resident.send_text("/start")
        summary = greeting[-1]
        assert summary.payloads == ["consent:yes", "consent:no", "consent:more"], all_text(greeting)
        assert "152-ФЗ" in summary.text and privacy.operator in summary.text and "/forget" in summary.text
        assert privacy.consent_version not in summary.text  # the full text says which version

        full = await resident.press("consent:more")
        assert f"Версия текста согласия: {privacy.consent_version}" in all_text(full), all_text(full)
        assert last_buttons(full) == ["consent:yes", "consent:no"]
        assert (await stored(world, resident)).consent_at is None  # reading it is no consent

        menu = await resident.press("consent:yes")
        assert "menu:propose" in last_buttons(menu), all_text(menu)
        kept = await stored(world, resident)
        assert kept.consent_at and kept.consent_version == privacy.consent_version


async def test_declining_from_the_first_screen_stores_nothing_and_leaves_the_menu_open(tmp_path):
    async with load_world("webchat")(tmp_path) as world:
        resident = reporting(world, "ru")
        await resident.send_text("/start")
        declined = await resident.press("consent:no")
        assert "без согласия мы ничего о вас не храним" in all_text(declined)
        assert "menu:consent" in last_buttons(declined) and "menu:propose" not in last_buttons(declined)
        assert (await stored(world, resident)).consent_at is None


@pytest.mark.parametrize("channel", ["telegram", "webchat"])
async def test_a_language_the_platform_reports_and_we_speak_is_not_asked_and_is_kept(tmp_path, channel):
    async with load_world(channel)(tmp_path) as world:
        await load_content_into(world.app, CAMPAIGN)
        resident = reporting(world, "en")
        greeting = await resident.send_text("/start")
        assert "152-FZ" in all_text(greeting), all_text(greeting)  # asked in English from the first screen
        menu = await resident.press("consent:yes")
        assert not any(p.startswith("lang:") for p in last_buttons(menu)), all_text(menu)
        assert "Language: English" in all_text(menu), all_text(menu)  # said, with how to change it
        assert {"menu:propose", "menu:language"} <= set(last_buttons(menu)) and "Main menu" in all_text(menu)
        assert (await stored(world, resident)).language == "en"  # for what the bot sends later, too


@pytest.mark.parametrize("channel, reported", [("telegram", "de"), ("telegram", ""), ("webchat", ""),
                                               ("webchat", "de")])
async def test_without_a_language_we_speak_the_question_is_asked_as_before(tmp_path, channel, reported):
    async with load_world(channel)(tmp_path) as world:
        resident = reporting(world, reported)
        await resident.send_text("/start")
        asked = await resident.press("consent:yes")
        assert {"lang:ru", "lang:en"} <= set(last_buttons(asked)), all_text(asked)
        menu = await resident.press("lang:en")
        assert "menu:propose" in last_buttons(menu) and "Main menu" in all_text(menu), all_text(menu)
        assert (await stored(world, resident)).language == "en"


async def test_the_language_button_changes_a_reported_language_and_the_choice_stays(tmp_path):
    async with load_world("telegram")(tmp_path) as world:
        resident = reporting(world, "ru")
        await resident.send_text("/start")
        await resident.press("consent:yes")
        languages = await resident.press("menu:language")
        assert {"lang:ru", "lang:en"} <= set(last_buttons(languages)), all_text(languages)
        menu = await resident.press("lang:en")
        assert "Main menu" in all_text(menu), all_text(menu)
        again = await resident.send_text("/menu")  # Telegram still reports Russian: the choice wins
        assert "Main menu" in all_text(again) and (await stored(world, resident)).language == "en"
