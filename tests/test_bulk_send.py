"""One broadcast attempt per channel (``send_once``) against the fake platforms: what reaches
residents, and how each platform's refusal reaches the broadcast sender (retry after a pause,
retry, give the resident up, or do not repeat because the message may have arrived)."""
from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import pytest

from bot.core.events import ResidentRef
from bot.core.replies import Button, Reply
from channels.max.channel import MaxChannel
from channels.telegram.channel import TelegramChannel
from channels.vk import bulk
from channels.vk.channel import VkChannel
from channels.webchat.channel import WebChatChannel, session_ref
from storage.attachments import AttachmentStore
from storage.channel_storage import ChannelStorage
from storage.open import open_database
from tests.drivers import eventually, test_settings
from tests.drivers.max import max_environment
from tests.drivers.telegram import bot_environment
from tests.drivers.vk import vk_environment
from tests.fakes.max import FakeMax
from tests.fakes.telegram import FakeTelegram
from tests.fakes.vk import FakeVk

NEWS = Reply(text="Вышла третья серия «ПАРКУ БЫТЬ!»",
             buttons=((Button(label="Смотреть", url="https://example.org/episode/3"),),))


def refs(channel: str, first: int, count: int) -> list[ResidentRef]:
    return [ResidentRef(channel=channel, external_id=str(first + n)) for n in range(count)]


@asynccontextmanager
async def database(tmp_path, settings):
    db = await open_database(settings.storage.choice())
    try:
        yield db, AttachmentStore(settings.storage.attachments_dir)
    finally:
        await db.close()


# -- VK ---------------------------------------------------------------------------------------

@asynccontextmanager
async def vk_channel(tmp_path, fake: FakeVk | None = None, **environment):
    fake = fake or FakeVk()
    await fake.start()
    settings = test_settings(tmp_path, **vk_environment(fake, **environment))
    async with database(tmp_path, settings) as (db, attachments):
        channel = VkChannel(settings, ChannelStorage(db), attachments)
        try:
            yield channel, fake
        finally:
            channel.client.close()
            await fake.stop()


async def test_vk_residents_get_an_announcement_in_calls_of_100_each_with_its_own_stable_random_id(tmp_path):
    async with vk_channel(tmp_path) as (channel, fake):
        assert channel.throughput().recipients_per_call == 100 and channel.throughput().idempotent
        everyone = refs("vk", 600_000, 250)
        groups = [everyone[i:i + 100] for i in range(0, 250, 100)]
        for group, first in zip(groups, (1, 101, 201)):
            assert await channel.send_once(group, NEWS, f"b7d{first}") == {}

        calls = fake.calls_of("messages.send")
        assert [len(c.params["peer_ids"].split(",")) for c in calls] == [100, 100, 50]
        random_ids = [c.params["random_id"] for c in calls]
        assert len(set(random_ids)) == 3
        assert random_ids == [str(bulk.random_id(f"b7d{n}")) for n in (1, 101, 201)]
        assert sorted(m["peer_id"] for m in fake.sent) == [int(r.external_id) for r in everyone]
        assert all(c.params["intent"] == "non_promo_newsletter" for c in calls)
        assert '"open_link"' in calls[0].params["keyboard"]

        # The sender repeats a call whose outcome it did not learn: same key, VK drops the repeat.
        assert await channel.send_once(groups[0], NEWS, "b7d1") == {}
        assert len(fake.sent) == 250


async def test_a_vk_resident_who_did_not_allow_messages_is_given_up_and_the_others_still_get_it(tmp_path):
    async with vk_channel(tmp_path) as (channel, fake):
        fake.block(600_002)
        group = refs("vk", 600_000, 5)
        failures = await channel.send_once(group, NEWS, "b1d1")
        assert list(failures) == [group[2]] and failures[group[2]].permanent
        assert "901" in str(failures[group[2]])
        assert sorted(m["peer_id"] for m in fake.sent) == [600_000, 600_001, 600_003, 600_004]


@pytest.mark.parametrize("kind", ["rate", "flood"])
async def test_vk_rate_limits_ask_the_sender_to_wait_a_moment(tmp_path, kind):
    async with vk_channel(tmp_path, SOUCHASTIE_VK_RATE_LIMIT_PAUSE_SECONDS="2.5") as (channel, fake):
        fake.fail("messages.send", kind)
        with pytest.raises(Exception) as raised:
            await channel.send_once(refs("vk", 600_000, 3), NEWS, "b1d1")
        error = raised.value
        assert error.retry_after == 2.5 and not error.permanent and not error.unknown
        assert fake.sent == []


async def test_a_vk_server_error_is_worth_another_try_and_no_resident_is_given_up(tmp_path):
    async with vk_channel(tmp_path) as (channel, fake):
        fake.fail("messages.send", "5xx")
        with pytest.raises(Exception) as raised:
            await channel.send_once(refs("vk", 600_000, 3), NEWS, "b1d1")
        assert not raised.value.permanent and not raised.value.unknown and raised.value.retry_after is None
        assert await channel.send_once(refs("vk", 600_000, 3), NEWS, "b1d1") == {}
        assert len(fake.sent) == 3


async def test_a_vk_call_that_timed_out_is_unknown_and_repeating_it_delivers_once(tmp_path):
    fake = FakeVk(slow_seconds=1.5)
    async with vk_channel(tmp_path, fake, SOUCHASTIE_VK_REQUEST_TIMEOUT_SECONDS="0.3") as (channel, fake):
        fake.fail("messages.send", "timeout")
        group = refs("vk", 600_000, 4)
        with pytest.raises(Exception) as raised:
            await channel.send_once(group, NEWS, "b3d9")
        assert raised.value.unknown
        await eventually(lambda: len(fake.sent) == 4)  # VK acted on it after all
        assert await channel.send_once(group, NEWS, "b3d9") == {}
        assert len(fake.sent) == 4


async def test_vk_messages_to_residents_silent_for_a_day_carry_the_configured_intent(tmp_path):
    async with vk_channel(tmp_path, SOUCHASTIE_VK_BROADCAST_INTENT="confirmed_notification",
                          SOUCHASTIE_VK_BROADCAST_SUBSCRIBE_ID="7") as (channel, fake):
        await channel.send_once(refs("vk", 600_000, 2), NEWS, "b1d1")
        assert fake.intents == [("confirmed_notification", "7")]
    async with vk_channel(tmp_path, SOUCHASTIE_VK_BROADCAST_INTENT="default") as (channel, fake):
        await channel.send_once(refs("vk", 600_000, 2), NEWS, "b1d1")
        assert fake.intents == [("", "")]


async def test_the_fake_vk_refuses_calls_beyond_its_ceiling_with_error_6(tmp_path):
    async with vk_channel(tmp_path, FakeVk(ceiling=20)) as (channel, fake):
        answers = await asyncio.gather(*(channel.send_once(refs("vk", 600_000 + n, 1), NEWS, f"b1d{n}")
                                         for n in range(60)), return_exceptions=True)
        refused = [a for a in answers if isinstance(a, Exception)]
        assert fake.rate_limited == len(refused) > 0
        assert all(a.retry_after is not None and "error 6" in str(a) for a in refused)


# -- Telegram ---------------------------------------------------------------------------------

@asynccontextmanager
async def telegram_channel(tmp_path, fake: FakeTelegram | None = None, **environment):
    fake = await (fake or FakeTelegram()).start()
    settings = test_settings(tmp_path, **bot_environment(fake, **environment))
    async with database(tmp_path, settings) as (db, attachments):
        channel = TelegramChannel(settings, ChannelStorage(db), attachments)
        try:
            yield channel, fake
        finally:
            await channel.bot.session.close()
            await fake.close()


async def test_a_telegram_resident_gets_the_announcement_with_its_button(tmp_path):
    async with telegram_channel(tmp_path) as (channel, fake):
        assert channel.throughput().calls_per_second == 30 and not channel.throughput().idempotent
        assert await channel.send_once(refs("telegram", 42, 1), NEWS, "b1d1") == {}
        [message] = fake.sent_to(42)
        assert message["text"] == NEWS.text
        assert message["reply_markup"]["inline_keyboard"][0][0]["url"] == "https://example.org/episode/3"
        assert len(fake.calls_of("sendMessage")) == 1


@pytest.mark.parametrize("kind", ["blocked", "chat_not_found"])
async def test_a_telegram_resident_who_blocked_the_bot_or_is_gone_is_given_up(tmp_path, kind):
    async with telegram_channel(tmp_path) as (channel, fake):
        fake.fail(kind, chat_id=42)
        [ref] = refs("telegram", 42, 1)
        failures = await channel.send_once([ref], NEWS, "b1d1")
        assert failures[ref].permanent
        assert len(fake.calls_of("sendMessage")) == 1  # one attempt, no retry


async def test_telegram_flood_control_tells_the_sender_how_long_to_wait(tmp_path):
    async with telegram_channel(tmp_path) as (channel, fake):
        fake.fail("rate_limit_long")
        [ref] = refs("telegram", 42, 1)
        error = (await channel.send_once([ref], NEWS, "b1d1"))[ref]
        assert error.retry_after == 2282 and not error.permanent
        assert len(fake.calls_of("sendMessage")) == 1


@pytest.mark.parametrize("kind", ["server_error", "bad_gateway"])
async def test_telegram_server_errors_are_worth_another_try(tmp_path, kind):
    async with telegram_channel(tmp_path) as (channel, fake):
        fake.fail(kind)
        [ref] = refs("telegram", 42, 1)
        error = (await channel.send_once([ref], NEWS, "b1d1"))[ref]
        assert not error.permanent and not error.unknown and error.retry_after is None
        assert len(fake.calls_of("sendMessage")) == 1


async def test_a_telegram_send_that_timed_out_is_unknown_and_not_repeated_in_place(tmp_path):
    async with telegram_channel(tmp_path, FakeTelegram(slow_seconds=2),
                                SOUCHASTIE_TELEGRAM_REQUEST_TIMEOUT_SECONDS="0.3") as (channel, fake):
        fake.fail("timeout")
        [ref] = refs("telegram", 42, 1)
        error = (await channel.send_once([ref], NEWS, "b1d1"))[ref]
        assert error.unknown and not error.permanent
        assert len(fake.calls_of("sendMessage")) == 1


async def test_the_fake_telegram_answers_429_beyond_30_messages_a_second(tmp_path):
    async with telegram_channel(tmp_path, FakeTelegram(ceiling=30)) as (channel, fake):
        results = await asyncio.gather(*(channel.send_once(refs("telegram", 1000 + n, 1), NEWS, f"b1d{n}")
                                         for n in range(45)))
        refused = [error for failures in results for error in failures.values()]
        assert fake.rate_limited == len(refused) > 0
        assert all(error.retry_after and error.retry_after >= 1 for error in refused)


# -- MAX --------------------------------------------------------------------------------------

@asynccontextmanager
async def max_channel(tmp_path, fake: FakeMax | None = None, **environment):
    fake = fake or FakeMax()
    await fake.start()
    settings = test_settings(tmp_path, **max_environment(fake, **environment))
    async with database(tmp_path, settings) as (db, attachments):
        channel = MaxChannel(settings, ChannelStorage(db), attachments)
        try:
            yield channel, fake
        finally:
            await channel.api.close()
            await fake.stop()


async def test_a_max_resident_gets_the_announcement_with_its_button(tmp_path):
    async with max_channel(tmp_path) as (channel, fake):
        assert channel.throughput().recipients_per_call == 1
        assert await channel.send_once(refs("max", 77, 1), NEWS, "b1d1") == {}
        [message] = fake.sent_to(77)
        assert message["text"] == NEWS.text
        assert message["attachments"][0]["payload"]["buttons"][0][0]["url"] == "https://example.org/episode/3"


async def test_a_max_resident_who_stopped_the_bot_is_given_up(tmp_path):
    async with max_channel(tmp_path) as (channel, fake):
        fake.block(77)
        [ref] = refs("max", 77, 1)
        assert (await channel.send_once([ref], NEWS, "b1d1"))[ref].permanent
        assert len([c for c in fake.calls if c.path == "/messages"]) == 1


@pytest.mark.parametrize("kind, retry_after", [("429", 1.5), ("5xx", None)])
async def test_max_rate_limits_and_server_errors_are_tried_again_later(tmp_path, kind, retry_after):
    async with max_channel(tmp_path, SOUCHASTIE_MAX_RATE_LIMIT_PAUSE_SECONDS="1.5") as (channel, fake):
        fake.fail("POST /messages", kind)
        [ref] = refs("max", 77, 1)
        error = (await channel.send_once([ref], NEWS, "b1d1"))[ref]
        assert error.retry_after == retry_after and not error.permanent and not error.unknown
        assert len([c for c in fake.calls if c.path == "/messages"]) == 1


async def test_a_max_send_that_timed_out_is_unknown(tmp_path):
    async with max_channel(tmp_path, FakeMax(slow_seconds=2),
                           SOUCHASTIE_MAX_REQUEST_TIMEOUT_SECONDS="0.3") as (channel, fake):
        fake.fail("POST /messages", "timeout")
        [ref] = refs("max", 77, 1)
        error = (await channel.send_once([ref], NEWS, "b1d1"))[ref]
        assert error.unknown and not error.permanent


async def test_the_fake_max_answers_429_beyond_its_requests_a_second(tmp_path):
    async with max_channel(tmp_path, FakeMax(ceiling=30)) as (channel, fake):
        results = await asyncio.gather(*(channel.send_once(refs("max", 1000 + n, 1), NEWS, f"b1d{n}")
                                         for n in range(45)))
        refused = [error for failures in results for error in failures.values()]
        assert fake.rate_limited == len(refused) > 0
        assert all(error.retry_after is not None for error in refused)


# -- web chat ---------------------------------------------------------------------------------

async def test_web_chat_residents_find_the_announcement_in_their_open_chat_at_once(tmp_path):
    settings = test_settings(tmp_path)
    async with database(tmp_path, settings) as (db, attachments):
        channel = WebChatChannel(settings, ChannelStorage(db), attachments)
        assert channel.throughput().recipients_per_call == 500
        everyone = [session_ref(f"{n:032x}") for n in range(500)]
        waiting = asyncio.create_task(channel.wait_for_replies(everyone[3], 0, timeout=20))
        await eventually(lambda: everyone[3].external_id in channel.outbox._waiters)
        assert await channel.send_once(everyone, NEWS, "b1d1") == {}
        [row] = await waiting
        assert Reply.model_validate_json(row.payload) == NEWS
        assert len(await db.reader.outbox.for_recipient("webchat", everyone[499].external_id, 0)) == 1
