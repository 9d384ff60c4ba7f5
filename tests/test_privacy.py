"""What /forget leaves behind: nothing that names the resident, in any table."""
from __future__ import annotations

from broadcasts.audience import Audience
from broadcasts.outbox import BroadcastSpec, create
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
        db = world.app.db.reader.residents._db
        for table, column in (("residents", "id"), ("deliveries", "id"), ("subscriptions", "topic")):
            rows = await db.execute_fetchall(f"SELECT count({column}) FROM {table}")
            assert rows[0][0] == 0, table
        assert (await db.execute_fetchall("SELECT count(*) FROM proposals WHERE resident_id IS NULL"))[0][0] == 1
