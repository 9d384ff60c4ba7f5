"""A senior finishes a proposal in seven taps, in the language they read (issue 12): on a
390×844 phone with the shipped campaign loaded, from opening the page to the receipt, with a
photo and a place pointed at on the map, every tap, file choice and tap on the map is counted
(typing the idea is not) and printed, in each language the bot speaks."""
from __future__ import annotations

import pytest

from storage.moderation import ProposalFilter
from tests.browser import IDEA, LOCALES, Phone, chat_with_map, needs_chromium, phone_browser
from tests.journey import JPEG

MOST_ACTIONS = 7

# One Chromium for the module (a context of its own for each test), on the module's event loop.
pytestmark = [needs_chromium, pytest.mark.asyncio(loop_scope="module"), pytest.mark.usefixtures("one_chromium")]


class TooManyActions(AssertionError):
    """The journey worked, but took more actions than a senior should need."""


def language(code: str):
    missing = not (LOCALES / f"{code}.yaml").exists()
    return pytest.param(code, id=code, marks=pytest.mark.skipif(
        missing, reason=f"handlers/locales/{code}.yaml does not exist yet: the bot does not speak {code}"))


@pytest.mark.parametrize("code", [language("ru"), language("en"), language("zh"), language("mn")])
async def test_a_senior_gets_a_receipt_in_seven_actions_in_their_language(tmp_path, code):
    async with chat_with_map(tmp_path) as (world, tiles), phone_browser(world, code) as page:
        phone = Phone(page, world, code)
        await phone.open()
        assert await page.title() == phone.word("title")
        await phone.propose(IDEA[code], JPEG)
        print(f"\nweb chat, {code}: {len(phone.actions)} actions to the receipt: {', '.join(phone.actions)}")
        # The journey is the whole one: the idea with its photo and its place, in that language.
        [stored] = [row async for rows in world.app.db.reader.exports.proposals(ProposalFilter(), personal=True)
                    for row in rows]
        assert stored["text"] == IDEA[code] and stored["photos"] and stored["latitude"] is not None, stored
        assert (await world.app.db.reader.residents.get(stored["resident_id"])).language == code
        assert tiles.asked  # the place was pointed at on the map the settings name
        if len(phone.actions) > MOST_ACTIONS:
            raise TooManyActions(f"{len(phone.actions)} actions, at most {MOST_ACTIONS} wanted: {phone.actions}")
