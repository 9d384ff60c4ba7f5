"""What /forget leaves behind: nothing that names the resident, in any table."""
from __future__ import annotations

from broadcasts.audience import Audience
from broadcasts.outbox import BroadcastSpec, create
from tests import stored
from tests.drivers.webchat import world as webchat_world
from tests.journey import onboard, propose


async def test_forgetting_removes_the_resident_from_broadcast_deliveries_and_everywhere_else(tmp_path):
    async with webchat_world(tmp_path) as world:
        resident = world.resident()
        await onboard(resident, source="poster_1")
        await resident.press("menu:subscriptions")
        await resident.press("sub:news")
        await resident.press("nav:menu")
        await propose(resident)
        await world.app.broadcasts.stop()  # keep the deliveries pending while we look
        broadcast_id, recipients = await create(world.app.db, BroadcastSpec(
            title="Новости", texts={"ru": "Здравствуйте, {{ name }}!"}, audience=Audience(topic="news")),
            status="draft")
        assert recipients == 1
        await resident.send_text("/forget")
        await resident.press("priv:confirm")
        db = world.app.db
        for table in ("residents", "deliveries", "subscriptions"):
            assert await stored.count(db, table) == 0, table
        assert await stored.count(db, "proposals", resident_id=None) == 1


async def test_forgetting_a_whatsapp_resident_removes_their_number_from_the_whatsapp_tables(tmp_path):
    from tests.drivers import load_world

    async with load_world("whatsapp")(tmp_path) as world:
        resident = world.resident(7)
        await resident.send_text("/start")
        await resident.press("consent:yes")
        await resident.press("lang:ru")
        db = world.app.db
        assert await stored.count(db, "whatsapp_contacts") == 1
        await resident.send_text("/forget")
        # The press's update id (a wamid) carries the number, so the erasure renames it and it
        # cannot be waited for: the confirmation on the resident's screen tells it was handled.
        await resident.push(resident.message(
            "interactive", context={"from": "bot", "id": "wamid.prompt"},
            interactive={"type": "button_reply", "button_reply": {"id": "priv:confirm", "title": "Удалить"}}))
        done = await resident.later()
        assert any("удалены" in m.text for m in done)  # the confirmation still reaches them
        assert await stored.count(db, "residents") == 0
        assert await stored.count(db, "whatsapp_statuses") == 0
        # Once the 24-hour window has closed, the housekeeping forgets the number too.
        async with world.app.db.transaction() as tx:
            assert await tx.whatsapp.forget_orphans("9999-01-01T00:00:00+00:00") == 1
        assert await stored.count(db, "whatsapp_contacts") == 0
