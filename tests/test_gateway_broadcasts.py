"""Broadcasts through the gateway: paced to its messages_per_second, each resident once, a
resident the gateway reports gone (410) given up, and every POST signed with its own key."""
from __future__ import annotations

import secrets

from broadcasts.audience import Audience
from broadcasts.outbox import BroadcastSpec, create, progress
from tests.drivers import eventually
from tests.drivers.gateway import CHANNEL, world
from tests.fakes.gateway import FakeGateway

CEILING = 20
RESIDENTS = 30


async def add_resident(app) -> str:
    external_id = f"gw-news-{secrets.token_hex(4)}"
    async with app.db.transaction() as tx:
        resident = await tx.residents.get_or_create(CHANNEL, external_id)
        await tx.residents.record_consent(resident.id, "2026-11-01", "")
        await tx.residents.set_language(resident.id, "ru")
    return external_id


async def test_a_broadcast_reaches_every_gateway_resident_once_within_the_gateways_rate(tmp_path):
    fake = await FakeGateway(ceiling=CEILING).start()
    try:
        async with world(tmp_path, fake, SOUCHASTIE_GATEWAY_MESSAGES_PER_SECOND=str(CEILING),
                         SOUCHASTIE_WEBCHAT_ENABLED="false") as running:
            residents = [await add_resident(running.app) for _ in range(RESIDENTS)]
            gone = residents[0]
            fake.blocked.add(gone)
            spec = BroadcastSpec(title="news", texts={"ru": "Скамейки у пруда поставлены"},
                                 audience=Audience())
            broadcast_id, recipients = await create(running.app.db, spec)
            assert recipients == RESIDENTS

            async def finished():
                shown = await progress(running.app.db, broadcast_id)
                return shown if shown.status == "done" else None
            shown = await eventually(finished, timeout=30)
            assert (shown.sent, shown.failed) == (RESIDENTS - 1, 1)
            for external_id in residents[1:]:
                texts = [m["text"] for m in fake.sent_to(external_id)]
                assert texts == ["Скамейки у пруда поставлены"]
            assert fake.sent_to(gone) == []
            assert fake.rate_limited == 0 and fake.refused_signatures == 0
    finally:
        await fake.close()
