"""A crash of the whole bot process right after it told Telegram it had a batch: nothing is lost.

The bot runs as a real subprocess polling the fake Bot API of this test process. The moment the
fake sees the next ``getUpdates`` with the advanced offset (Telegram forgets the batch then),
the bot is killed with SIGKILL. After a restart every update of the batch must be processed,
each exactly once, although Telegram will never send any of them again.
"""
from __future__ import annotations

import asyncio

from tests import stored
from tests.drivers import eventually
from tests.drivers.telegram import CHANNEL, TelegramResident, bot_environment
from tests.fakes.telegram import FakeTelegram
from tests.process import BotProcess

RESIDENTS = 20


def inbox(database) -> list[tuple[str, bool, str | None]]:
    found = stored.InFile(database).rows("inbox", "update_id", "processed_at", "error", order_by="id", channel=CHANNEL)
    return [(update_id, processed_at is not None, error) for update_id, processed_at, error in found]


async def test_updates_acknowledged_just_before_a_crash_are_all_processed_once_after_restart(tmp_path):
    fake = await FakeTelegram().start()
    environment = bot_environment(fake, SOUCHASTIE_WEBCHAT_ENABLED="false",
                                  SOUCHASTIE_TELEGRAM_POLL_TIMEOUT_SECONDS="2")
    bot = BotProcess(tmp_path, **environment)
    try:
        world = type("World", (), {"fake": fake})()
        residents = [TelegramResident(world, 408_260_000 + n, f"Житель {n}") for n in range(RESIDENTS)]
        pushed = [await r.push(r.message(text=f"/start poster_{n}")) for n, r in enumerate(residents)]
        killed = asyncio.Event()

        def crash(offset: int) -> None:
            if offset > pushed[-1] and not killed.is_set():
                bot.process.kill()  # SIGKILL, inside the fake's answer to that very getUpdates
                killed.set()
        fake.on_confirm = crash

        await bot.start()
        await asyncio.wait_for(killed.wait(), 30)
        await bot.process.wait()
        kept = inbox(tmp_path / "souchastie.db")
        assert sorted(row[0] for row in kept) == sorted(str(u) for u in pushed)
        assert fake.queue == []  # Telegram has forgotten the batch: only the inbox has it now

        fake.on_confirm = None
        restarted = BotProcess(tmp_path, port=bot.port, **environment)
        await restarted.start()
        try:
            await eventually(lambda: all(done for _, done, _ in inbox(tmp_path / "souchastie.db")), timeout=30)
            await eventually(lambda: all(fake.sent_to(r.chat_id) for r in residents), timeout=30)
        finally:
            assert await restarted.terminate() == 0
        after = inbox(tmp_path / "souchastie.db")
        assert len(after) == RESIDENTS and {row[0] for row in after} == {str(u) for u in pushed}
        assert all(error is None for _, _, error in after)
        sources = dict(stored.InFile(tmp_path / "souchastie.db").rows("residents", "external_id", "first_source"))
        assert sources == {str(r.user_id): f"poster_{n}" for n, r in enumerate(residents)}
    finally:
        if bot.process is not None and bot.process.returncode is None:
            bot.process.kill()
        await fake.close()
