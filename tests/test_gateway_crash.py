"""A crash of the whole bot process right after it answered the gateway 200: nothing is lost.

The bot runs as a real subprocess; the test plays the gateway (posting signed events and
receiving replies on a fake in this process). The bot is killed with SIGKILL the moment the 200
for the last event of a batch arrives, when the gateway considers every event delivered and will
never send them again. After a restart each must be processed exactly once.
"""
from __future__ import annotations

import asyncio

import aiohttp

from tests import stored
from tests.drivers import eventually
from tests.drivers.gateway import CHANNEL, gateway_environment
from tests.fakes.gateway import FakeGateway, signed
from tests.process import BotProcess

RESIDENTS = 20


def inbox(database) -> list[tuple[str, bool, str | None]]:
    found = stored.InFile(database).rows("inbox", "update_id", "processed_at", "error", order_by="id", channel=CHANNEL)
    return [(update_id, processed_at is not None, error) for update_id, processed_at, error in found]


async def test_events_answered_200_just_before_a_crash_are_all_processed_once_after_restart(tmp_path):
    fake = await FakeGateway().start()
    environment = gateway_environment(fake, SOUCHASTIE_WEBCHAT_ENABLED="false")
    bot = BotProcess(tmp_path, **environment)
    events = [{"version": 1, "id": f"crash-{n}", "user": {"id": f"gw-crash-{n}", "name": f"Житель {n}"},
               "start": f"poster_{n}"} for n in range(RESIDENTS)]
    try:
        await bot.start()
        url = bot.base + "/api/gateway/events"
        async with aiohttp.ClientSession() as http:
            async def post(event) -> int:
                body, headers = signed(fake.secret, event)
                async with http.post(url, data=body, headers=headers) as response:
                    return response.status
            statuses = await asyncio.gather(*(post(e) for e in events))
            bot.process.kill()  # SIGKILL as soon as the gateway holds every 200
        assert statuses == [200] * RESIDENTS
        await bot.process.wait()
        assert sorted(row[0] for row in inbox(tmp_path / "souchastie.db")) == sorted(e["id"] for e in events)

        restarted = BotProcess(tmp_path, port=bot.port, **environment)
        await restarted.start()
        try:
            await eventually(lambda: all(done for _, done, _ in inbox(tmp_path / "souchastie.db")), timeout=30)
            await eventually(lambda: all(fake.sent_to(e["user"]["id"]) for e in events), timeout=30)
        finally:
            assert await restarted.terminate() == 0
        after = inbox(tmp_path / "souchastie.db")
        assert len(after) == RESIDENTS and all(error is None for _, _, error in after)
        sources = dict(stored.InFile(tmp_path / "souchastie.db").rows("residents", "external_id", "first_source"))
        assert sources == {e["user"]["id"]: f"poster_{n}" for n, e in enumerate(events)}
        assert fake.refused_signatures == 0
    finally:
        if bot.process is not None and bot.process.returncode is None:
            bot.process.kill()
        await fake.close()
