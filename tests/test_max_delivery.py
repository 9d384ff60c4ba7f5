"""Nothing a MAX resident sends is lost or taken twice: webhooks, forged requests, crashes."""
from __future__ import annotations

import pytest

from bot.config import ConfigError, check_runnable
from tests import stored
from tests.drivers import eventually, test_settings
from tests.drivers.max import MaxResident, MaxWorld, bot_message, max_environment, world
from tests.fakes.max import FakeMax, fixture
from tests.journey import last_buttons
from tests.process import BotProcess, free_port

SECRET = "webhook-Secret_42"
# maxapi warns that a webhook URL without HTTPS is unencrypted; the tests' loopback one is.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:maxapi")


def webhook_environment(port: int) -> dict[str, str]:
    return {"SOUCHASTIE_MAX_MODE": "webhook", "SOUCHASTIE_MAX_WEBHOOK_SECRET": SECRET,
            "SOUCHASTIE_SERVER_PORT": str(port), "SOUCHASTIE_SERVER_PUBLIC_URL": f"http://127.0.0.1:{port}"}


def inbox_count(path) -> int:
    return stored.InFile(path).count("inbox", channel="max")


async def test_webhook_mode_subscribes_with_a_secret_and_takes_updates(tmp_path):
    port = free_port()
    async with world(tmp_path, **webhook_environment(port)) as w:
        [subscription] = w.fake.subscriptions
        assert subscription["url"] == f"http://127.0.0.1:{port}/webhook/max"
        assert subscription["secret"] == SECRET
        assert not any(c.path == "/updates" for c in w.fake.calls), "no long polling in webhook mode"
        resident = w.resident(1)
        update = resident.started("poster_3")
        assert await w.fake.post_webhook(update) == 200
        greeting = await eventually(lambda: w.fake.sent_to(resident.user_id))
        assert "consent:yes" in last_buttons([bot_message(m) for m in greeting])
        pressed = fixture("webhook_message_callback.json")
        assert await w.fake.post_webhook(pressed) == 200
        await eventually(lambda: pressed["callback"]["callback_id"] in w.fake.answered)
        assert await w.fake.post_webhook(pressed) == 200  # MAX retries: stored once
        assert inbox_count(tmp_path / "souchastie.db") == 3


@pytest.mark.parametrize("secret", [None, "", "webhook-Secret_43", SECRET + "x"])
async def test_a_forged_or_unsigned_webhook_is_refused_and_nothing_is_stored(tmp_path, secret):
    async with world(tmp_path, **webhook_environment(free_port())) as w:
        update = w.resident(2).message("Поставьте урну у входа")
        assert await w.fake.post_webhook(update, secret=secret) == 403
        assert inbox_count(tmp_path / "souchastie.db") == 0
        assert w.fake.sent == []


def test_webhook_mode_without_a_secret_does_not_start(tmp_path):
    with pytest.raises(ConfigError, match="SOUCHASTIE_MAX_WEBHOOK_SECRET"):
        check_runnable(test_settings(tmp_path, SOUCHASTIE_MAX_TOKEN="t", SOUCHASTIE_MAX_MODE="webhook"))


async def test_a_crash_right_after_the_marker_moved_loses_and_repeats_nothing(tmp_path):
    fake = FakeMax()
    await fake.start()
    environment = max_environment(fake)
    try:
        bot = BotProcess(tmp_path, **environment)
        await bot.start()
        world = MaxWorld(app=None, fake=fake)
        residents = [MaxResident(world, 6_000_000 + i, f"Житель{i}") for i in range(8)]
        fake.push(*(r.started(f"poster_{i}") for i, r in enumerate(residents)))
        fake.push(*(r.message(f"Предложение номер {i}") for i, r in enumerate(residents)))
        batch_end = fake.last_marker
        try:
            await eventually(lambda: batch_end in fake.markers_seen, timeout=30)
        finally:
            await bot.kill()
        assert inbox_count(tmp_path / "souchastie.db") == 8 * 3, "stored before the marker moved"

        restarted = BotProcess(tmp_path, port=bot.port, **environment)
        await restarted.start()
        try:
            database = tmp_path / "souchastie.db"

            def settled() -> bool:
                kept = stored.InFile(database)
                return kept.count("inbox", processed_at=None) == 0 and kept.count("outbox", status="pending") == 0
            await eventually(settled, timeout=30)
        finally:
            assert await restarted.terminate() == 0
        per_update = stored.InFile(database).replies_per_update("max")
        sources = dict(stored.InFile(database).rows("residents", "external_id", "first_source"))
        assert len(per_update) == 8 * 3
        starts = [n for update_id, n in per_update if update_id.startswith("bot_started") and
                  not update_id.endswith(":reachable")]
        assert len(starts) == 8 and len(set(starts)) == 1 and starts[0] > 0
        assert sources == {str(r.user_id): f"poster_{i}" for i, r in enumerate(residents)}
        for resident in residents:
            greetings = [m for m in fake.sent_to(resident.user_id) if "consent" in str(m["attachments"])]
            assert greetings, f"{resident.name} got no greeting"
    finally:
        await fake.stop()
