"""Stored events that were not processed are tried again while the bot runs, a bounded number of
times, and then kept as dead letters for staff (issue 10, point 1).

Before: a push channel's update acknowledged to the platform but not processed (its background
processing failed) waited for the next restart; the issue counted 311 such Telegram updates.
"""
from __future__ import annotations

import asyncio
import json
import logging
import secrets

import pytest

from bot.core.events import text_event
from bot.core.filters import command
from bot.core.routing import Router
from channels.telegram.parse import parse_update
from channels.webchat.channel import session_ref
from tests import stored
from tests.drivers import eventually
from tests.drivers.telegram import world as telegram_world
from tests.drivers.webchat import world as webchat_world
from tests.fakes.telegram import fixture

QUICK = {"SOUCHASTIE_INBOX_RETRY_EVERY_SECONDS": "0.2", "SOUCHASTIE_INBOX_RETRY_OLDER_THAN_SECONDS": "0"}
MANUAL = {"SOUCHASTIE_INBOX_RETRY_EVERY_SECONDS": "3600", "SOUCHASTIE_INBOX_RETRY_OLDER_THAN_SECONDS": "0"}


def inbox_row(path, inbox_id: int) -> tuple:
    """Read as another process would: only what was committed."""
    [(attempts, processed_at, dead_at, error, payload)] = stored.InFile(path).rows(
        "inbox", "attempts", "processed_at", "dead_at", "error", "payload", id=inbox_id)
    return attempts, processed_at is not None, dead_at is not None, error, payload


@pytest.mark.sqlite_only("the one write lock of a database file")
async def test_an_update_whose_background_processing_failed_is_processed_by_the_pass_without_a_restart(
        tmp_path, caplog):
    """The channel stored the update and answered its platform; the processing that followed
    failed (another process held the database's write lock, so not even the failure could be
    written). Once the lock is gone the periodic pass processes it, and the resident is answered."""
    async with telegram_world(tmp_path, SOUCHASTIE_STORAGE_BUSY_TIMEOUT_MS="50", **QUICK) as world:
        update = fixture("update_start_official.json")  # /start from chat 1111111
        inbox_id = await world.app.dispatcher.accept(parse_update(update))  # what the webhook does first
        with stored.InFile(tmp_path / "souchastie.db").write_locked():  # another process holds the lock
            with caplog.at_level(logging.ERROR, logger="bot.core.dispatcher"):
                world.app.dispatcher.process_in_background(inbox_id)  # ... and then
                # The attempt is over once its failure is logged (it could not be written).
                await eventually(lambda: f"строка входящих {inbox_id} " in caplog.text)
            assert world.fake.sent_to(1111111) == []

        await eventually(lambda: "consent:yes" in json.dumps(world.fake.sent_to(1111111)))
        await eventually(lambda: inbox_row(tmp_path / "souchastie.db", inbox_id)[1])
        attempts, processed, dead, error, payload = inbox_row(tmp_path / "souchastie.db", inbox_id)
        assert attempts >= 2 and processed and not dead and error is None and payload is None


async def test_an_event_that_always_fails_becomes_a_dead_letter_after_its_attempts_and_stays_one(tmp_path):
    """A row a previous version stored with a kind this version does not know cannot be processed,
    however often it is tried: after inbox.max_attempts it is a dead letter, with its payload and
    reason, and neither the pass nor a restart tries it again."""
    payload = json.dumps({"ref": {"channel": "telegram", "external_id": "1111111"}, "update_id": "77",
                          "kind": "sticker", "text": ""})
    settings = {"SOUCHASTIE_INBOX_MAX_ATTEMPTS": "3", **MANUAL}
    async with webchat_world(tmp_path, **settings) as world:
        async with world.app.db.transaction() as tx:
            stored = await tx.inbox.store_many([("telegram", "77", payload)])
        inbox_id = stored[("telegram", "77")]
        dispatcher = world.app.dispatcher

        assert await dispatcher.retry_stored() == 1
        attempts, processed, dead, error, _ = inbox_row(tmp_path / "souchastie.db", inbox_id)
        assert (attempts, processed, dead) == (2, 0, 0) and error.startswith("ValidationError")
        assert await dispatcher.retry_stored() == 1
        assert await dispatcher.retry_stored() == 0
        assert await dispatcher.retry_stored() == 0
    async with webchat_world(tmp_path, **settings):  # recover() at the start skips it too
        pass
    attempts, processed, dead, error, kept = inbox_row(tmp_path / "souchastie.db", inbox_id)
    assert (attempts, processed, dead, kept) == (3, 0, 1, payload)
    assert error.startswith("ValidationError") and "sticker" in error


async def test_an_attempt_is_counted_before_it_is_made(tmp_path):
    """So an event that crashes the process while it is processed still uses up its attempts:
    the count is committed while its handler is still running."""
    entered, release = asyncio.Event(), asyncio.Event()
    slow = Router("slow", open_before_consent=True)  # its residents never consent

    @slow.on(command("slow"))
    async def take_time(ctx, argument):
        entered.set()
        await release.wait()
        ctx.say("done")

    async with webchat_world(tmp_path, **MANUAL) as world:
        dispatcher = world.app.dispatcher
        dispatcher.routers = (slow, *dispatcher.routers)
        ref = session_ref(secrets.token_hex(16))
        inbox_id = await dispatcher.accept(text_event(ref, "slow-1", "/slow"))  # stored; not processed
        assert inbox_row(tmp_path / "souchastie.db", inbox_id)[0] == 1  # the first attempt, counted with the row

        passing = asyncio.create_task(dispatcher.retry_stored())
        await asyncio.wait_for(entered.wait(), 10)
        assert inbox_row(tmp_path / "souchastie.db", inbox_id)[:3] == (2, 0, 0)
        assert await dispatcher.retry_stored() == 0  # a pass leaves an event in hand alone
        release.set()
        assert await passing == 1
        assert inbox_row(tmp_path / "souchastie.db", inbox_id)[:3] == (2, 1, 0)


async def test_an_event_whose_attempts_all_ended_in_a_crash_is_not_tried_again_at_the_start(tmp_path):
    """Stored, then the process died while it was processed (its one attempt was counted when it
    was stored): at the next start it is buried untried instead of crashing the bot again."""
    settings = {"SOUCHASTIE_INBOX_MAX_ATTEMPTS": "1", **MANUAL}
    async with webchat_world(tmp_path, **settings) as world:
        ref = session_ref(secrets.token_hex(16))
        inbox_id = await world.app.dispatcher.accept(text_event(ref, "crash-1", "/start poster_3"))
    async with webchat_world(tmp_path, **settings) as world:
        assert await stored.count(world.app.db, "outbox") == 0
    attempts, processed, dead, error, payload = inbox_row(tmp_path / "souchastie.db", inbox_id)
    assert (attempts, processed, dead) == (1, 0, 1) and "прервалась" in error and "/start poster_3" in payload
