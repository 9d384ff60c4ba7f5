"""A crash of the whole bot process right after it answered OK's webhooks: nothing is lost.

The bot runs as a real subprocess; the fake OK of this test process posts a batch of residents'
webhooks to it. The moment the fake has the last 200 (OK then considers the batch delivered and
never sends it again), the bot is killed with SIGKILL. After a restart every webhook of the
batch must be processed, each exactly once.
"""
from __future__ import annotations

import asyncio

from channels.ok.parse import update_id
from tests import stored
from tests.drivers import eventually
from tests.drivers.ok import CHANNEL, OkResident, bot_environment
from tests.fakes.ok import FakeOk
from tests.process import BotProcess, free_port

RESIDENTS = 20


def inbox(database) -> list[tuple[str, bool, str | None]]:
    found = stored.InFile(database).rows("inbox", "update_id", "processed_at", "error", order_by="id", channel=CHANNEL)
    return [(update_id, processed_at is not None, error) for update_id, processed_at, error in found]


async def test_webhooks_answered_just_before_a_crash_are_all_processed_once_after_restart(tmp_path):
    fake = await FakeOk().start()
    port = free_port()
    environment = bot_environment(fake, port, SOUCHASTIE_WEBCHAT_ENABLED="false")
    bot = BotProcess(tmp_path, port=port, **environment)
    try:
        world = type("World", (), {"fake": fake})()
        residents = [OkResident(world, 575_662_070_000 + n, f"Житель {n}") for n in range(RESIDENTS)]
        webhooks = [r.message(text=f"/start poster_{n}") for n, r in enumerate(residents)]
        answered: list[int] = []
        killed = asyncio.Event()

        def crash(status: int) -> None:
            answered.append(status)
            if len(answered) == RESIDENTS and not killed.is_set():
                bot.process.kill()  # SIGKILL, the moment OK has its last 200
                killed.set()
        fake.on_answer = crash

        await bot.start()
        await eventually(lambda: fake.subscriptions, timeout=30)
        await asyncio.gather(*(fake.post(w) for w in webhooks))
        await asyncio.wait_for(killed.wait(), 30)
        await bot.process.wait()
        assert answered == [200] * RESIDENTS
        kept = inbox(tmp_path / "souchastie.db")
        assert sorted(row[0] for row in kept) == sorted(update_id(w) for w in webhooks)

        fake.on_answer = None
        restarted = BotProcess(tmp_path, port=port, **environment)
        await restarted.start()
        try:
            await eventually(lambda: all(done for _, done, _ in inbox(tmp_path / "souchastie.db")), timeout=30)
            await eventually(lambda: all(fake.sent_to(r.chat_id) for r in residents), timeout=30)
        finally:
            assert await restarted.terminate() == 0
        after = inbox(tmp_path / "souchastie.db")
        assert len(after) == RESIDENTS and all(error is None for _, _, error in after)
        sources = dict(stored.InFile(tmp_path / "souchastie.db").rows("residents", "external_id", "first_source"))
        assert sources == {r.chat_id: f"poster_{n}" for n, r in enumerate(residents)}
    finally:
        if bot.process is not None and bot.process.returncode is None:
            bot.process.kill()
        await fake.close()
