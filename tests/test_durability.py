"""Nothing a resident sends is lost: restarts, crashes (SIGKILL) and the stored-but-unprocessed."""
from __future__ import annotations

import asyncio
import random
import secrets
import uuid

import aiohttp

from bot.app import Application
from bot.core.events import text_event
from channels.webchat.channel import session_ref
from channels.webchat.parse import message_key
from tests import stored
from tests.drivers import test_settings
from tests.drivers.webchat import API, WebChatResident, world as webchat_world
from tests.journey import all_text, last_buttons, onboard
from tests.process import BotProcess


async def test_a_proposal_flow_continues_after_a_restart(tmp_path):
    async with webchat_world(tmp_path) as world:
        resident = world.resident()
        await onboard(resident)
        await resident.press("menu:propose")
        await resident.send_text("Старый тополь у входа нужно осмотреть")
        await resident.press("prop:category")
        draft = await resident.press("cat:tree")
        assert "prop:confirm" in last_buttons(draft)
        session = resident.session
    async with webchat_world(tmp_path) as world:
        resident = world.resident()
        resident.session = session
        review = await resident.send_text("Главный вход, у кассы")
        assert all(words in all_text(review) for words in ("Старый тополь", "Главный вход", "Дерево")), \
            all_text(review)
        done = await resident.press("prop:confirm")
        assert "П-1" in all_text(done)


async def test_an_event_stored_but_not_processed_is_processed_once_at_the_next_start(tmp_path):
    app = Application(test_settings(tmp_path))
    await app.start()
    session = secrets.token_hex(16)
    ref = session_ref(session)
    inbox_id = await app.dispatcher.accept(text_event(ref, "u-1", "/start poster_9"))
    await app.stop()  # the process "dies" after storing and before processing

    for _ in range(2):  # two restarts: the second must not process it again
        app = Application(test_settings(tmp_path))
        await app.start()
        await app.stop()
    db = stored.InFile(tmp_path / "souchastie.db")
    [(processed_at, error)] = db.rows("inbox", "processed_at", "error", id=inbox_id)
    assert (processed_at is not None, error) == (True, None)
    assert db.count("outbox", inbox_id=inbox_id) == 2
    assert db.values("residents", "first_source")[0] == "poster_9"


async def test_killed_with_sigkill_under_load_loses_no_acknowledged_message(tmp_path):
    bot = BotProcess(tmp_path)
    await bot.start()
    acknowledged: list[tuple[str, str]] = []  # (session, message id) answered with 200
    stop = asyncio.Event()

    async def chatter(http: aiohttp.ClientSession) -> None:
        session = secrets.token_hex(16)
        while not stop.is_set():
            message_id = uuid.uuid4().hex
            try:
                async with http.post(bot.base + API, json={"session": session, "id": message_id,
                                                           "text": "/start"}) as response:
                    if response.status == 200:
                        await response.json()
                        acknowledged.append((session, message_id))
            except (aiohttp.ClientError, asyncio.TimeoutError):
                return

    async with aiohttp.ClientSession() as http:
        workers = [asyncio.create_task(chatter(http)) for _ in range(40)]
        while len(acknowledged) < 300:
            await asyncio.sleep(0.01)
        await asyncio.sleep(random.uniform(0, 0.2))
        await bot.kill()
        stop.set()
        await asyncio.gather(*workers, return_exceptions=True)

    await bot.start()  # recovery runs before the server answers /healthz
    await bot.terminate()
    db = stored.InFile(tmp_path / "souchastie.db")
    assert db.count("inbox", processed_at=None) == 0
    processed = set(db.values("inbox", "update_id"))
    for session, message_id in acknowledged:
        ref = session_ref(session)
        assert message_key(ref, message_id) in processed
    # Processed once: every stored message produced exactly one greeting and one consent request.
    counts = db.grouped("outbox", "inbox_id")
    assert counts and all(n == 2 for n in counts.values())
    assert db.count("inbox", error=stored.SET) == 0


async def test_sigterm_finishes_requests_in_flight_and_exits_cleanly(tmp_path):
    bot = BotProcess(tmp_path)
    await bot.start()
    async with aiohttp.ClientSession() as http:
        resident = WebChatResident(http, bot.base)
        waiting = [asyncio.create_task(resident.send_text("/start")) for _ in range(20)]
        await asyncio.sleep(0.05)
        code = await bot.terminate()
        results = await asyncio.gather(*waiting, return_exceptions=True)
    assert code == 0
    answered = [r for r in results if not isinstance(r, BaseException)]
    db = stored.InFile(tmp_path / "souchastie.db")
    assert db.count("inbox", processed_at=None) == 0
    assert db.count("inbox") >= len(answered)


async def test_a_failing_handler_answers_its_resident_and_spares_the_rest_of_its_batch(tmp_path):
    from bot.core.filters import command
    from bot.core.routing import Router

    broken = Router("broken", open_before_consent=True)  # its residents never consent

    @broken.on(command("boom"))
    async def explode(ctx, argument):
        await ctx.db.subscriptions.subscribe(ctx.resident.id, "news")  # rolled back with the failure
        raise RuntimeError("a bug in a handler")

    async with webchat_world(tmp_path) as world:
        dispatcher = world.app.dispatcher
        dispatcher.routers = (broken, *dispatcher.routers)
        residents = [world.resident(n) for n in range(30)]
        answers = await asyncio.gather(*(r.send_text("/boom" if n == 7 else "/start")
                                         for n, r in enumerate(residents)))
        assert "что-то пошло не так" in all_text(answers[7])
        assert all("consent:yes" in last_buttons(a) for n, a in enumerate(answers) if n != 7)
        db = world.app.db
        assert await stored.values(db, "inbox", "error", error=stored.SET) == ["RuntimeError: a bug in a handler"]
        assert await stored.count(db, "subscriptions") == 0
        assert await stored.count(db, "inbox", processed_at=None) == 0
