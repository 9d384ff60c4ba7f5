"""An event is serialised once between its channel and its handler (issue 14).

Before: a push channel's event was dumped to JSON for the inbox, read back from it by the first
attempt and validated again, so the handler got a copy rebuilt from the stored text. Now the
first attempt hands the handler the event the channel built; only a later attempt (after a
failure or a restart) reads the stored copy, as before.
"""
from __future__ import annotations

import asyncio
import secrets

from bot.core.events import text_event
from bot.core.filters import command
from bot.core.routing import Router
from channels.webchat.channel import session_ref
from tests.drivers.webchat import world as webchat_world

MANUAL = {"SOUCHASTIE_INBOX_RETRY_EVERY_SECONDS": "3600", "SOUCHASTIE_INBOX_RETRY_OLDER_THAN_SECONDS": "0"}


def probe() -> tuple[Router, list]:
    seen: list = []
    router = Router("probe", open_before_consent=True)

    @router.on(command("probe"))
    async def record(ctx, argument):
        seen.append(ctx.event)
        ctx.say("seen")

    return router, seen


async def wait_for(seen: list, count: int) -> None:
    for _ in range(500):
        if len(seen) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the handler saw {len(seen)} events, not {count}")


async def test_a_submitted_event_reaches_its_handler_as_built_not_read_back(tmp_path):
    async with webchat_world(tmp_path, **MANUAL) as world:
        dispatcher = world.app.dispatcher
        router, seen = probe()
        dispatcher.routers = (router, *dispatcher.routers)
        ref = session_ref(secrets.token_hex(16))
        events = [text_event(ref, f"once-{n}", "/probe") for n in range(3)]
        assert None not in await dispatcher.submit(events)
        await wait_for(seen, 3)
        assert all(any(s is e for s in seen) for e in events)


async def test_an_accepted_event_processed_in_the_background_is_not_read_back(tmp_path):
    """The two calls push channels make today (accept, then process_in_background)."""
    async with webchat_world(tmp_path, **MANUAL) as world:
        dispatcher = world.app.dispatcher
        router, seen = probe()
        dispatcher.routers = (router, *dispatcher.routers)
        event = text_event(session_ref(secrets.token_hex(16)), "once-1", "/probe")
        inbox_id = await dispatcher.accept(event)
        dispatcher.process_in_background(inbox_id)
        await wait_for(seen, 1)
        assert seen[0] is event


async def test_an_event_left_for_the_retry_pass_is_read_from_the_inbox_once(tmp_path):
    """Stored and not processed at once: the pass reads the stored copy, equal to what was built,
    and processes it once."""
    async with webchat_world(tmp_path, **MANUAL) as world:
        dispatcher = world.app.dispatcher
        router, seen = probe()
        dispatcher.routers = (router, *dispatcher.routers)
        event = text_event(session_ref(secrets.token_hex(16)), "once-2", "/probe")
        await dispatcher.accept(event)
        assert await dispatcher.retry_stored() == 1
        assert await dispatcher.retry_stored() == 0
        assert len(seen) == 1 and seen[0] == event and seen[0] is not event
