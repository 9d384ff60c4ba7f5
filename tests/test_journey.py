"""The whole resident journey, run with the same handler code on every channel."""
from __future__ import annotations

import pytest

from tests import stored
from tests.drivers import JOURNEY_CHANNELS, load_world
from tests.journey import all_text, last_buttons, onboard, propose

pytestmark = pytest.mark.both_engines  # a journey: on SQLite and on PostgreSQL (tests/conftest.py)


@pytest.fixture(params=JOURNEY_CHANNELS)
async def world(request, tmp_path):
    async with load_world(request.param)(tmp_path) as running:
        yield running


async def test_resident_proposes_an_idea_and_sees_it_with_its_status(world):
    resident = world.resident(1)
    await onboard(resident, source="poster_12")
    receipt = await propose(resident)
    listing = await resident.press("menu:mine")
    assert receipt in all_text(listing)
    assert "получено" in all_text(listing)

    async with world.app.db.transaction() as tx:
        rows = await stored.authored_proposals(tx)
    assert rows == [("idea", "Поставить скамейки у пруда и фонарь", 50.0958, "poster_12",
                                         world.app.settings.privacy.consent_version, 1)]


async def test_resident_who_declines_consent_can_read_but_not_propose(world):
    resident = world.resident(2)
    await resident.send_text("/start")
    declined = await resident.press("consent:no")
    assert "menu:about" in last_buttons(declined)
    assert "menu:propose" not in last_buttons(declined)
    about = await resident.press("menu:about")
    assert "59-ФЗ" in all_text(about)
    forged = await resident.press("menu:propose")
    assert "consent:yes" in last_buttons(forged)
