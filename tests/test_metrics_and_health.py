"""What a monitoring system and a load balancer see: ``/metrics`` moving as residents write and
platforms answer, kept from the public; ``/readyz`` saying when to send this process traffic.

The bot is the started Application on loopback with the web chat and the fake Telegram; the
page is read over HTTP and parsed with prometheus_client's own parser.
"""
from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.app import Application
from bot.core.events import text_event
from bot.core.filters import command
from bot.core.routing import Router
from broadcasts.audience import Audience
from broadcasts.outbox import BroadcastSpec, cancel, create, pause, progress
from channels.webchat.channel import session_ref
from tests import stored
from tests.drivers import eventually
from tests.drivers.telegram import world as telegram_world
from tests.drivers.webchat import world as webchat_world
from tests.journey import onboard

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(http: aiohttp.ClientSession, app: Application, **headers: str) -> Samples:
    async with http.get(f"http://127.0.0.1:{app.port}/metrics", headers=headers) as response:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@asynccontextmanager
async def browser() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


async def test_a_web_chat_conversation_is_counted_stored_processed_timed_and_answered(tmp_path):
    async with webchat_world(tmp_path) as world:
        before = await scrape(world.http, world.app)
        await onboard(world.resident())
        after = await scrape(world.http, world.app)
        events = await stored.count(world.app.db, "inbox", channel="webchat")
        replies = await stored.count(world.app.db, "outbox", channel="webchat")

    def grew(name: str) -> float:
        return value(after, name, channel="webchat") - value(before, name, channel="webchat")

    assert events >= 3 and replies >= 3
    assert grew("souchastie_events_stored_total") == events
    assert grew("souchastie_events_processed_total") == events
    assert grew("souchastie_processing_seconds_count") == events   # one latency per event
    assert grew("souchastie_processing_seconds_sum") > 0
    assert grew("souchastie_messages_sent_total") == replies
    assert value(after, "souchastie_events_failed_total", channel="webchat") == 0


async def test_an_event_whose_handler_fails_is_counted_as_failed_not_processed(tmp_path):
    broken = Router("broken")

    @broken.on(command("boom"))
    async def explode(ctx, argument):
        raise RuntimeError("the handler broke")

    async with webchat_world(tmp_path) as world:
        world.app.dispatcher.routers = (broken, *world.app.dispatcher.routers)
        resident = world.resident()
        await onboard(resident)
        await resident.send_text("/boom")
        await resident.send_text("/boom")
        samples = await scrape(world.http, world.app)
        failed = await stored.count(world.app.db, "inbox", error=stored.SET)
        events = await stored.count(world.app.db, "inbox")
    assert failed == 2
    assert value(samples, "souchastie_events_failed_total", channel="webchat") == failed
    assert value(samples, "souchastie_events_processed_total", channel="webchat") == events - failed
    assert value(samples, "souchastie_events_stored_total", channel="webchat") == events


async def test_each_rate_limit_answer_from_telegram_is_counted_and_the_reply_still_arrives(tmp_path):
    async with telegram_world(tmp_path) as world, browser() as http:
        world.fake.fail("rate_limit", method="sendMessage", times=2)
        resident = world.resident()
        await resident.send_text("/start")
        await eventually(lambda: world.fake.sent_to(resident.chat_id), timeout=20)
        answered_429 = [c for c in world.fake.calls if c.status == 429]
        samples = await scrape(http, world.app)
    assert len(answered_429) == 2
    assert value(samples, "souchastie_rate_limited_total", channel="telegram") == len(answered_429)
    assert value(samples, "souchastie_messages_sent_total", channel="telegram") >= 1
    # A pushed update: stored, then processed in the background, its latency measured from the store.
    assert value(samples, "souchastie_events_stored_total", channel="telegram") == 1
    assert value(samples, "souchastie_events_processed_total", channel="telegram") == 1
    assert value(samples, "souchastie_processing_seconds_count", channel="telegram") == 1


async def test_the_outbox_depth_is_the_replies_still_waiting_for_their_platform(tmp_path):
    async with telegram_world(tmp_path, SOUCHASTIE_TELEGRAM_SEND_ATTEMPTS="1") as world, browser() as http:
        world.fake.fail("server_error", method="sendMessage", times=1000)  # Telegram is down
        await world.resident(0).push(world.resident(0).message(text="Здравствуйте"))
        await world.resident(1).push(world.resident(1).message(text="Добрый день"))
        db = world.app.db

        async def both_answered_and_waiting() -> int:
            waiting = await stored.count(db, "outbox", channel="telegram", status="pending")
            return waiting if waiting >= 2 and await stored.count(db, "inbox", processed_at=None) == 0 else 0
        waiting = await eventually(both_answered_and_waiting, timeout=20)
        samples = await scrape(http, world.app)
    assert value(samples, "souchastie_outbox_pending", channel="telegram", kind="reply") == waiting
    assert value(samples, "souchastie_messages_sent_total", channel="telegram") == 0


async def test_the_broadcast_queue_depth_follows_a_paused_broadcast_and_empties_when_it_is_cancelled(tmp_path):
    slow = {"SOUCHASTIE_WEBCHAT_BROADCAST_BATCH": "1", "SOUCHASTIE_WEBCHAT_BROADCAST_BATCHES_PER_SECOND": "5"}
    async with webchat_world(tmp_path, **slow) as world:
        db = world.app.db
        for number in range(12):
            async with db.transaction() as tx:
                resident = await tx.residents.get_or_create("webchat", f"session-{number}")
                await tx.residents.record_consent(resident.id, "2026-11-01", "")
        broadcast_id, _ = await create(db, BroadcastSpec(title="t", texts={"ru": "Скамейки поставлены"},
                                                         audience=Audience()))
        await eventually(lambda: progress(db, broadcast_id), timeout=20)

        async def some_sent_then_paused():
            shown = await progress(db, broadcast_id)
            if shown.sent >= 2 and shown.status == "sending":
                await pause(db, broadcast_id)
            return shown if shown.status == "paused" and shown.sending == 0 else None
        shown = await eventually(some_sent_then_paused, timeout=20)
        samples = await scrape(world.http, world.app)
        assert 0 < shown.pending < 12
        assert value(samples, "souchastie_outbox_pending", channel="webchat", kind="broadcast") == shown.pending
        assert value(samples, "souchastie_messages_sent_total", channel="webchat") == shown.sent
        assert await cancel(db, broadcast_id) == shown.pending
        samples = await scrape(world.http, world.app)
        assert value(samples, "souchastie_outbox_pending", channel="webchat", kind="broadcast") == 0
        assert ("souchastie_outbox_pending", (("channel", "webchat"), ("kind", "broadcast"))) in samples


async def test_dead_letters_are_counted_as_they_are_made_and_read_from_storage(tmp_path):
    settings = {"SOUCHASTIE_INBOX_MAX_ATTEMPTS": "1", "SOUCHASTIE_INBOX_RETRY_EVERY_SECONDS": "3600"}
    session = secrets.token_hex(16)
    async with webchat_world(tmp_path, **settings) as first:  # stored, then the process "dies"
        await first.app.dispatcher.accept(text_event(session_ref(session), "c-1", "/start poster_8"))
        assert value(await scrape(first.http, first.app), "souchastie_dead_letters") == 0
    async with webchat_world(tmp_path, **settings) as running:  # ... and buries it at the start
        samples = await scrape(running.http, running.app)
        dead = len(await running.app.db.reader.inbox.dead_letters(10))
    assert dead == 1
    assert value(samples, "souchastie_dead_letters_new_total") == dead
    assert value(samples, "souchastie_dead_letters") == dead


async def test_metrics_are_refused_to_addresses_outside_the_allowed_networks_unless_they_bear_the_token(tmp_path):
    token = secrets.token_urlsafe(24)
    async with webchat_world(tmp_path, SOUCHASTIE_SERVER_METRICS_NETWORKS='["10.0.0.0/8"]',
                             SOUCHASTIE_SERVER_METRICS_TOKEN=token) as world:
        url = world.base + "/metrics"
        async with world.http.get(url) as response:
            assert response.status == 403
            assert "souchastie_" not in await response.text()
        async with world.http.get(url, headers={"Authorization": f"Bearer {token}x"}) as response:
            assert response.status == 403
        samples = await scrape(world.http, world.app, Authorization=f"Bearer {token}")
        assert ("souchastie_dead_letters", ()) in samples


async def test_behind_a_trusted_proxy_metrics_are_refused_to_the_public_client_it_forwards(tmp_path):
    async with webchat_world(tmp_path, SOUCHASTIE_SERVER_TRUSTED_PROXIES='["127.0.0.1/32"]') as world:
        url = world.base + "/metrics"
        async with world.http.get(url, headers={"X-Forwarded-For": "203.0.113.7"}) as response:
            assert response.status == 403   # the connection is loopback, the client is not
        async with world.http.get(url, headers={"X-Forwarded-For": "127.0.0.1"}) as response:
            assert response.status == 200   # the monitoring host beside the proxy


async def ready(http: aiohttp.ClientSession, app: Application) -> tuple[int, dict]:
    async with http.get(f"http://127.0.0.1:{app.port}/readyz") as response:
        return response.status, await response.json()


async def test_a_started_bot_is_ready_and_not_once_its_database_stops_answering(tmp_path):
    async with webchat_world(tmp_path) as world:
        assert await ready(world.http, world.app) == (200, {"ready": True})
        await world.app.db.close()      # the database is gone under the running process
        status, answer = await ready(world.http, world.app)
        assert status == 503 and answer["ready"] is False
        assert answer["reason"].startswith("база данных не отвечает")
        async with world.http.get(world.base + "/healthz") as response:   # alive all the same
            assert response.status == 200 and await response.json() == {"ok": True}


async def test_a_stopping_bot_says_it_is_not_ready_before_it_stops_listening(tmp_path):
    async with webchat_world(tmp_path, SOUCHASTIE_SERVER_UNREADY_SECONDS="5") as world:
        assert (await ready(world.http, world.app))[0] == 200
        stopping = asyncio.create_task(world.app.stop())
        await asyncio.sleep(0)          # the stop has begun
        status, answer = await ready(world.http, world.app)
        assert (status, answer) == (503, {"ready": False, "reason": "бот останавливается"})
        async with world.http.get(world.base + "/healthz") as response:   # still serving meanwhile
            assert response.status == 200
        await stopping
