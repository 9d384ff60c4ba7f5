"""WhatsApp as residents and Meta see it: only Meta's signed requests count, every kind of
message arrives, replies reach the resident through the Cloud API's refusals, and receipts are kept."""
from __future__ import annotations

import asyncio
import json

from storage import whatsapp as records
from tests import stored
from tests.drivers import eventually, wait_handled
from tests.drivers.whatsapp import CHANNEL, webhook_body, world
from tests.fakes.whatsapp import PHONE_NUMBER_ID, fixture
from tests.journey import all_text, last_buttons, onboard


async def reachable(running, wa_id: str) -> bool:
    return (await running.app.db.reader.residents.find(CHANNEL, wa_id)).reachable


async def test_meta_verifies_the_webhook_with_our_verify_token_and_nobody_else_can(tmp_path):
    shape = fixture("webhook_verification_get_assembled.json")
    async with world(tmp_path) as running:
        http = running.fake._http
        good = {**shape["query"], "hub.verify_token": running.fake.verify_token}
        async with http.get(running.fake.webhook_url, params=good) as response:
            assert (response.status, await response.text()) == (200, shape["query"]["hub.challenge"])
        async with http.get(running.fake.webhook_url, params=shape["query"]) as response:  # someone else's token
            assert response.status == 403
        async with http.get(running.fake.webhook_url, params={**good, "hub.mode": "unsubscribe"}) as response:
            assert response.status == 403


async def test_a_forged_or_unsigned_post_is_refused_and_nothing_is_stored(tmp_path):
    async with world(tmp_path) as running:
        body = fixture("webhook_text.json")
        assert await running.fake.post_webhook(body, signature=None) == 403
        assert await running.fake.post_webhook(body, signature=running.fake.sign(b"{}")) == 403
        assert await running.fake.post_webhook(body, signature=running.fake.sign(
            json.dumps(body).encode(), secret="not-the-app-secret")) == 403
        assert await stored.count(running.app.db, "inbox") == 0
        assert await stored.count(running.app.db, "whatsapp_contacts") == 0
        assert await running.fake.post_webhook(body) == 200
        assert await stored.count(running.app.db, "inbox") == 1
        # The fixture was written in 2023: its window closed long ago, so the greeting waits.
        await eventually(lambda: stored.count(running.app.db, "outbox", status="pending"))
        assert running.fake.sent_to("972987654321") == []


async def test_the_same_message_delivered_twice_is_answered_once(tmp_path):
    async with world(tmp_path) as running:
        resident = running.resident(3)
        message = resident.message("text", text={"body": "/start"})
        await resident.push(message)
        await resident.push(message)
        await wait_handled(running.app, CHANNEL, message["id"])
        assert await stored.count(running.app.db, "inbox", update_id=message["id"]) == 1
        greeting = resident.new_messages()
        assert last_buttons(greeting).count("consent:yes") == 1


async def test_delivery_receipts_are_recorded_once_each_with_the_failure_code(tmp_path):
    async with world(tmp_path) as running:
        async with running.app.db.transaction() as tx:  # receipts are kept for a resident's number
            await tx.residents.get_or_create("whatsapp", "972987654321")
        for name in ("webhook_status_sent.json", "webhook_status_delivered.json", "webhook_status_read.json",
                     "webhook_status_failed.json", "webhook_status_read.json"):
            assert await running.fake.post_webhook(fixture(name)) == 200
        kept = await records.receipts(stored.connection(running.app.db))
        assert sorted(r.status for r in kept) == ["delivered", "failed", "read", "sent"]
        failed = next(r for r in kept if r.status == "failed")
        assert (failed.error_code, failed.recipient_id) == (130472, "972987654321")
        assert await stored.count(running.app.db, "inbox") == 0


async def test_throughput_limit_130429_is_waited_out_and_the_reply_delivered(tmp_path):
    async with world(tmp_path) as running:
        resident = running.resident(4)
        running.fake.fail("rate_limit", times=2, to=resident.wa_id)
        greeting = await resident.send_text("/start")
        assert "consent:yes" in last_buttons(greeting)
        refused = [c for c in running.fake.calls if c[2] == 400]
        assert len(refused) == 2


async def test_server_errors_and_time_outs_are_retried_until_delivered(tmp_path):
    async with world(tmp_path, SOUCHASTIE_WHATSAPP_REQUEST_TIMEOUT_SECONDS="0.5") as running:
        running.fake.slow_seconds = 1.0
        resident = running.resident(5)
        running.fake.fail("server_error", times=1, to=resident.wa_id)
        running.fake.fail("timeout", times=1, to=resident.wa_id)
        greeting = await resident.send_text("/start")
        assert "consent:yes" in last_buttons(greeting)
        assert [c[2] for c in running.fake.calls if c[0] == "POST"][:2] == [500, 0]


async def test_a_resident_who_blocks_the_bot_mid_flow_is_marked_unreachable(tmp_path):
    async with world(tmp_path) as running:
        resident = running.resident(6)
        await onboard(resident)
        assert await reachable(running, resident.wa_id)
        running.fake.blocked.add(resident.wa_id)
        message = resident.message("interactive", interactive={"type": "button_reply", "button_reply": {
            "id": "menu:propose", "title": "Предложить"}})
        await resident.push(message)
        await eventually(lambda: _unreachable(running, resident.wa_id))


async def _unreachable(running, wa_id: str) -> bool:
    return not await reachable(running, wa_id)


async def test_outside_the_24_hour_window_replies_wait_or_go_as_the_approved_template(tmp_path):
    async with world(tmp_path) as running:
        resident = running.resident(7)
        await onboard(resident)
        running.fake.closed_windows.add(resident.wa_id)   # WhatsApp answers 131047 from now on
        message = resident.message("interactive", interactive={"type": "button_reply", "button_reply": {
            "id": "menu:about", "title": "О проекте"}})
        await resident.push(message)
        await eventually(lambda: stored.count(running.app.db, "inbox", update_id=message["id"],
                                              processed_at=stored.SET))
        assert resident.new_messages() == []
        pending = await stored.count(running.app.db, "outbox", status="pending")
        assert pending >= 1 and await reachable(running, resident.wa_id)

    template = {"SOUCHASTIE_WHATSAPP_BROADCAST_TEMPLATE": "{name: souchastie_news, language: ru}"}
    async with world(tmp_path / "template", **template) as running:
        resident = running.resident(8)
        await onboard(resident)
        running.fake.closed_windows.add(resident.wa_id)
        about = await resident.press("menu:about")
        sent = running.fake.sent_to(resident.wa_id)[-1]
        assert sent["type"] == "template" and sent["template"]["name"] == "souchastie_news"
        assert "59-ФЗ" in all_text(about)


async def test_a_hundred_residents_at_once_each_get_their_own_replies(tmp_path):
    async with world(tmp_path) as running:
        residents = [running.resident(100 + n) for n in range(100)]
        messages = [r.message("text", text={"body": f"/start poster_{n}"}) for n, r in enumerate(residents)]
        await asyncio.gather(*(r.push(m) for r, m in zip(residents, messages)))
        for message in messages:
            await wait_handled(running.app, CHANNEL, message["id"], timeout=30)
        for resident in residents:
            greeting = resident.new_messages()
            assert "consent:yes" in last_buttons(greeting)
        rows = await stored.rows(running.app.db, "residents", "external_id", "first_source", channel=CHANNEL)
        assert dict(rows) == {r.wa_id: f"poster_{n}" for n, r in enumerate(residents)}


async def test_messages_for_another_business_number_are_not_ours(tmp_path):
    async with world(tmp_path) as running:
        body = webhook_body([running.resident(9).message("text", text={"body": "/start"})])
        body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999" + PHONE_NUMBER_ID
        assert await running.fake.post_webhook(body) == 200
        assert await stored.count(running.app.db, "inbox") == 0


async def test_a_new_numbers_window_is_written_only_once_its_message_is_stored(tmp_path):
    """The housekeeping deletes the window of a number that no resident has and no stored event
    names (a forgotten number). A window written before its first message is stored could be
    taken away in between, and the replies would then wait for a window that never reopens.
    The moment each window row is written, a trigger notes whether its message is stored yet."""
    async with world(tmp_path) as running:
        db = running.app.db
        async with db.transaction() as tx:
            await stored.watch_whatsapp_windows(tx)
        newcomer = running.resident(11)
        greeting = await newcomer.act(newcomer.message("text", text={"body": "/start"}))
        assert await stored.window_writes(db) == [(newcomer.wa_id, True)]
        assert "consent:yes" in last_buttons(greeting)
