"""No VK message is lost or answered twice: replays, long-poll failures, restarts and SIGKILL."""
from __future__ import annotations

import asyncio
import json
import signal
from types import SimpleNamespace

import pytest

from tests import stored
from tests.drivers import eventually, wait_handled
from tests.drivers.vk import VkResident, vk_environment, world
from tests.fakes.vk import FakeVk
from tests.journey import last_buttons
from tests.process import BotProcess


def database(tmp_path) -> stored.InFile:
    return stored.InFile(tmp_path / "souchastie.db")


def greetings(fake: FakeVk, user_id: int) -> int:
    return len([m for m in fake.sent_to(user_id) if m["keyboard"]])


async def test_an_update_vk_delivers_twice_is_answered_once(tmp_path):
    async with world(tmp_path) as vk:
        resident = vk.resident(1)
        update = resident.message_new("/start")
        vk.fake.push(update)
        vk.fake.push(update)
        vk.fake.push(resident.message_new("/help"))  # after the replay, so the replay was seen
        await eventually(lambda: database(tmp_path).count("inbox", processed_at=stored.SET) == 2, timeout=20)
        await wait_handled(vk.app, "vk", update["event_id"])
        assert greetings(vk.fake, resident.user_id) >= 1
        assert database(tmp_path).count("inbox", update_id=update["event_id"]) == 1
        consent_prompts = [m for m in vk.fake.sent_to(resident.user_id) if m["keyboard"]
                           and "consent:yes" in m["keyboard"]["buttons"][0][0]["action"].get("payload", "")]
        assert len(consent_prompts) == 1


async def test_the_bot_keeps_listening_through_each_long_poll_failure(tmp_path):
    async with world(tmp_path) as vk:
        fake = vk.fake
        resident = vk.resident(2)
        for failed in (1, 2, 3):
            servers, polls = len(fake.calls_of("groups.getLongPollServer")), len(fake.requested_ts)
            fake.fail_poll(failed)
            fake.push({"type": "wall_post_new", "object": {"id": failed}, "group_id": fake.group_id,
                       "event_id": f"wall-{failed}"})  # wakes the waiting poll; nothing to answer
            await eventually(lambda polls=polls: len(fake.requested_ts) >= polls + 2, timeout=20)
            if failed > 1:
                assert len(fake.calls_of("groups.getLongPollServer")) == servers + 1
            answer = await resident.send_text("/start")
            assert "consent:yes" in last_buttons(answer)


async def test_messages_sent_while_the_bot_was_down_are_answered_after_it_starts(tmp_path):
    fake = FakeVk()
    async with world(tmp_path, fake=fake) as vk:
        resident = vk.resident(3)
        await resident.send_text("/start")
    missed = resident.message_new("/start")
    fake.push(missed)  # VK keeps it; a fresh getLongPollServer ts would skip it, the saved ts does not
    async with world(tmp_path, fake=fake) as vk:
        await wait_handled(vk.app, "vk", missed["event_id"], timeout=30)
        processed = database(tmp_path).values("inbox", "processed_at")
        assert (len(processed), sum(at is not None for at in processed)) == (2, 2)
        assert greetings(fake, resident.user_id) == 2


@pytest.mark.parametrize("moment", ["on_acknowledgement", "before_storing"])
async def test_killed_around_a_batch_the_bot_answers_each_message_once(tmp_path, moment):
    """SIGKILL exactly when the fake sees the next ts requested (the batch acknowledged), or
    as VK hands the batch out (sent by VK, never stored by the bot, its ts not requested)."""
    fake = FakeVk()
    await fake.start()
    bot = BotProcess(tmp_path, **vk_environment(fake))
    residents = [VkResident(SimpleNamespace(fake=fake), 900_000 + n) for n in range(30)]
    batch = [r.message_new("/start poster_5") for r in residents]

    def kill(ts: int, returning: int) -> None:
        if bot.process.returncode is not None or not fake.updates:
            return
        if moment == "on_acknowledgement" and ts >= len(batch):
            bot.process.send_signal(signal.SIGKILL)  # before the fake answers this request
        elif moment == "before_storing" and returning:
            bot.process.send_signal(signal.SIGKILL)
    try:
        await bot.start()
        await eventually(lambda: fake.requested_ts, timeout=30)
        fake.on_poll = kill
        for update in batch:
            fake.push(update)
        await asyncio.wait_for(bot.process.wait(), 30)
        fake.on_poll = None

        restarted = BotProcess(tmp_path, port=bot.port, **vk_environment(fake))
        await restarted.start()
        try:
            def settled() -> bool:
                processed = database(tmp_path).values("inbox", "processed_at", channel="vk")
                return (len(processed), sum(at is not None for at in processed)) == (len(batch), len(batch)) \
                    and set(database(tmp_path).grouped("outbox", "status")) <= {"sent"}
            await eventually(settled, timeout=60)
        finally:
            assert await restarted.terminate() == 0
    finally:
        if bot.process is not None and bot.process.returncode is None:
            await bot.kill()
        await fake.stop()

    kept = database(tmp_path).values("inbox", "update_id", order_by="id", channel="vk")
    assert sorted(kept) == sorted(u["event_id"] for u in batch)
    for resident in residents:
        # Each reply once: its text in exactly one message (VK joins a step's replies into one).
        replies = database(tmp_path).values("outbox", "payload", external_id=str(resident.user_id))
        said = "\n\n".join(m["message"] for m in fake.sent_to(resident.user_id))
        assert replies and all(said.count(json.loads(payload)["text"]) == 1 for payload in replies), said
        assert greetings(fake, resident.user_id) == 1
    assert database(tmp_path).count("residents", first_source="poster_5") == 30
