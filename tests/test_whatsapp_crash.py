"""A crash of the whole bot process right after it answered Meta 200: nothing is lost.

The bot runs as a real subprocess; the fake, as Meta, posts one webhook carrying a batch of
residents' messages. The moment the 200 comes back (Meta will not send the batch again), the bot
is killed with SIGKILL. After a restart every message must be processed, each exactly once, and
a late re-delivery of the same batch (Meta does repeat webhooks) changes nothing.
"""
from __future__ import annotations

from tests import stored
from tests.drivers import eventually
from tests.drivers.whatsapp import CHANNEL, WhatsappResident, bot_environment, webhook_body
from tests.fakes.whatsapp import FakeGraph
from tests.process import BotProcess

RESIDENTS = 20


def inbox(database) -> list[tuple[str, bool, str | None]]:
    found = stored.InFile(database).rows("inbox", "update_id", "processed_at", "error", order_by="id", channel=CHANNEL)
    return [(update_id, processed_at is not None, error) for update_id, processed_at, error in found]


async def test_messages_acknowledged_just_before_a_crash_are_all_processed_once_after_restart(tmp_path):
    fake = await FakeGraph().start()
    environment = bot_environment(fake, SOUCHASTIE_WEBCHAT_ENABLED="false")
    bot = BotProcess(tmp_path, **environment)
    try:
        await bot.start()
        fake.webhook_url = f"{bot.base}/webhook/whatsapp"
        world = type("World", (), {"fake": fake})()
        residents = [WhatsappResident(world, str(79_140_002_000 + n), f"Житель {n}") for n in range(RESIDENTS)]
        messages = [r.message("text", text={"body": f"/start poster_{n}"}) for n, r in enumerate(residents)]
        batch = webhook_body(messages)

        def crash(status: int) -> None:
            if status == 200 and bot.process.returncode is None:
                bot.process.kill()  # SIGKILL the moment Meta has its 200
        fake.on_answer = crash
        assert await fake.post_webhook(batch) == 200
        await bot.process.wait()
        assert sorted(row[0] for row in inbox(tmp_path / "souchastie.db")) == sorted(m["id"] for m in messages)

        fake.on_answer = None
        restarted = BotProcess(tmp_path, port=bot.port, **environment)
        await restarted.start()
        try:
            await eventually(lambda: all(done for _, done, _ in inbox(tmp_path / "souchastie.db")), timeout=30)
            await eventually(lambda: all(fake.sent_to(r.wa_id) for r in residents), timeout=30)
            assert await fake.post_webhook(batch) == 200   # Meta delivers the batch again
        finally:
            assert await restarted.terminate() == 0
        after = inbox(tmp_path / "souchastie.db")
        assert len(after) == RESIDENTS and all(error is None for _, _, error in after)
        sources = dict(stored.InFile(tmp_path / "souchastie.db").rows("residents", "external_id", "first_source"))
        assert sources == {r.wa_id: f"poster_{n}" for n, r in enumerate(residents)}
    finally:
        if bot.process is not None and bot.process.returncode is None:
            bot.process.kill()
        await fake.close()
