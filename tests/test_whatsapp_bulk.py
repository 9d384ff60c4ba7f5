"""Broadcasts over WhatsApp: free-form inside the 24-hour window, the approved template outside
it or skipped and counted, and the Cloud API's refusals as the broadcast sender needs them."""
from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone

from bot.core.events import ResidentRef
from bot.core.replies import Button, Reply
from channels.whatsapp.channel import Skipped, WhatsappChannel
from storage import whatsapp as records
from storage.attachments import AttachmentStore
from storage.channel_storage import ChannelStorage
from storage.open import open_database
from tests import stored
from tests.drivers import test_settings
from tests.drivers.whatsapp import bot_environment
from tests.fakes.whatsapp import FakeGraph

NEWS = Reply(text="Вышла третья серия\n«ПАРКУ БЫТЬ!»",
             buttons=((Button(label="Смотреть", url="https://example.org/episode/3"),),))
TEMPLATE = {"SOUCHASTIE_WHATSAPP_BROADCAST_TEMPLATE": "{name: souchastie_news, language: ru}"}


@asynccontextmanager
async def channel(tmp_path, **environment):
    fake = await FakeGraph().start()
    settings = test_settings(tmp_path, **bot_environment(fake, **environment))
    db = await open_database(settings.storage.choice())
    whatsapp = WhatsappChannel(settings, ChannelStorage(db), AttachmentStore(settings.storage.attachments_dir))
    try:
        yield whatsapp, fake, db
    finally:
        await whatsapp.stop()
        await db.close()
        await fake.close()


async def wrote(db, wa_id: str, hours_ago: float) -> ResidentRef:
    at = (datetime.now(timezone.utc) - timedelta(hours=hours_ago)).isoformat(timespec="microseconds")
    async with db.transaction() as tx:
        await records.touch_window(stored.connection(tx), wa_id, at)
    return ResidentRef(channel="whatsapp", external_id=wa_id)


async def test_paced_to_the_cloud_api_throughput_of_80_messages_a_second(tmp_path):
    async with channel(tmp_path) as (whatsapp, _, _):
        assert whatsapp.throughput().calls_per_second == 80 and whatsapp.throughput().recipients_per_call == 1


async def test_inside_the_window_the_news_goes_as_it_is_written(tmp_path):
    async with channel(tmp_path) as (whatsapp, fake, db):
        ref = await wrote(db, "79140000101", hours_ago=1)
        assert await whatsapp.send_once([ref], NEWS, "b1:1") == {}
        [sent] = fake.sent_to("79140000101")
        assert sent["type"] == "text" and "https://example.org/episode/3" in sent["text"]["body"]


async def test_outside_the_window_without_a_template_the_news_is_skipped_and_counted(tmp_path):
    async with channel(tmp_path) as (whatsapp, fake, db):
        old = await wrote(db, "79140000102", hours_ago=25)
        never = ResidentRef(channel="whatsapp", external_id="79140000103")
        failures = await whatsapp.send_once([old, never], NEWS, "b1:2")
        assert set(failures) == {old, never}
        assert all(isinstance(e, Skipped) and not e.permanent for e in failures.values())
        assert fake.messages == {}
        assert await records.skipped_total(stored.connection(db)) == 2


async def test_outside_the_window_the_approved_template_carries_the_news(tmp_path):
    async with channel(tmp_path, **TEMPLATE) as (whatsapp, fake, db):
        old = await wrote(db, "79140000104", hours_ago=30)
        assert await whatsapp.send_once([old], NEWS, "b1:3") == {}
        [sent] = fake.sent_to("79140000104")
        assert sent["template"]["name"] == "souchastie_news"
        assert sent["template"]["components"][0]["parameters"][0]["text"] == "Вышла третья серия «ПАРКУ БЫТЬ!»"


async def test_whatsapp_saying_the_window_closed_131047_falls_back_to_the_template(tmp_path):
    async with channel(tmp_path, **TEMPLATE) as (whatsapp, fake, db):
        ref = await wrote(db, "79140000105", hours_ago=1)
        fake.closed_windows.add("79140000105")
        assert await whatsapp.send_once([ref], NEWS, "b1:4") == {}
        assert [m["type"] for m in fake.sent_to("79140000105")] == ["template"]


async def test_refusals_reach_the_sender_once_each_without_retrying(tmp_path):
    async with channel(tmp_path, SOUCHASTIE_WHATSAPP_REQUEST_TIMEOUT_SECONDS="0.5") as (whatsapp, fake, db):
        fake.slow_seconds = 1.0
        limited, broken, slow, blocked = [await wrote(db, f"7914000011{n}", hours_ago=1) for n in range(4)]
        fake.fail("rate_limit", to=limited.external_id)
        fake.fail("server_error", to=broken.external_id)
        fake.fail("timeout", to=slow.external_id)
        fake.blocked.add(blocked.external_id)
        failures = await whatsapp.send_once([limited, broken, slow, blocked], NEWS, "b1:5")
        assert failures[limited].retry_after is not None and not failures[limited].permanent
        assert not failures[broken].permanent and not failures[broken].unknown
        assert failures[slow].unknown
        assert failures[blocked].permanent
        assert len([c for c in fake.calls if c[0] == "POST"]) == 4
