"""Broadcasts on the web chat: audiences, templates, the outbox, staff control and the CLI.

Residents are put in the database through the storage layer (consent, language, source,
subscriptions, ballots), as the handlers would; the bot runs in-process with the real web chat,
and residents read what they got through the chat's long poll, as a browser does.
"""
from __future__ import annotations

import asyncio
import json
import secrets
import sys
from datetime import datetime, timedelta, timezone

import pytest

from broadcasts.audience import Audience
from broadcasts.outbox import BroadcastSpec, cancel, create, pause, progress, resume
from broadcasts.templates import TemplateProblem, render, validate
from channels.webchat.channel import session_ref
from storage.content import StoredItem
from storage.ports.content import ContentKind
from tests import postgres, stored
from tests.drivers import ROOT, eventually
from tests.drivers.webchat import WebChatResident, world as webchat_world

# One recipient per web chat call, five calls a second: slow enough to pause and cancel midway.
SLOW = {"SOUCHASTIE_WEBCHAT_BROADCAST_BATCH": "1", "SOUCHASTIE_WEBCHAT_BROADCAST_BATCHES_PER_SECOND": "5"}


async def add_resident(app, *, channel: str = "webchat", external_id: str | None = None, name: str = "",
                       language: str = "ru", source: str | None = None, topics: tuple[str, ...] = (),
                       consent: bool = True) -> WebChatResident | str:
    """A resident as the handlers leave one after onboarding; a web chat one comes back as a
    browser session that can read its messages."""
    session = secrets.token_hex(16)
    if external_id is None:
        external_id = session_ref(session).external_id if channel == "webchat" else secrets.token_hex(6)
    async with app.db.transaction() as tx:
        resident = await tx.residents.get_or_create(channel, external_id)
        if consent:
            await tx.residents.record_consent(resident.id, "2026-11-01", name)
        await tx.residents.set_language(resident.id, language)
        if source:
            await tx.residents.set_first_source(resident.id, source)
        for topic in topics:
            await tx.subscriptions.subscribe(resident.id, topic)
    if channel != "webchat":
        return external_id
    return WebChatResident(None, "", session=session)  # the http session is set by `browser`


def browser(world, resident: WebChatResident) -> WebChatResident:
    resident.http, resident.base = world.http, world.base
    return resident


def spec(text: str = "Новости парка: скамейки поставлены", **audience) -> BroadcastSpec:
    return BroadcastSpec(title="test", texts={"ru": text}, audience=Audience(**audience))


def database(world) -> stored.InFile:
    return stored.InFile(world.app.settings.storage.path)


def deliveries(world, broadcast_id: int) -> list[tuple[str, str]]:
    return database(world).rows("deliveries", "external_id", "status", order_by="id", broadcast_id=broadcast_id)


def received(world, resident: WebChatResident, text: str) -> int:
    """How many messages with ``text`` the resident's chat holds."""
    payloads = database(world).values("outbox", "payload", channel="webchat",
                                      external_id=session_ref(resident.session).external_id)
    return sum(1 for payload in payloads if text in json.loads(payload)["text"])


async def done(world, broadcast_id: int, timeout: float = 20):
    async def finished():
        shown = await progress(world.app.db, broadcast_id)
        return shown if shown.status == "done" else None
    return await eventually(finished, timeout=timeout)


async def test_every_resident_with_consent_gets_the_announcement_once_in_their_chat(tmp_path):
    async with webchat_world(tmp_path) as world:
        residents = [browser(world, await add_resident(world.app)) for _ in range(25)]
        await add_resident(world.app, consent=False)  # no consent: never written to
        broadcast_id, recipients = await create(world.app.db, spec())
        assert recipients == 25
        shown = await done(world, broadcast_id)
        assert (shown.sent, shown.failed, shown.pending, shown.sending) == (25, 0, 0, 0)
        for resident in residents[:3]:  # what the browser shows
            messages = await resident.later()
            assert [m.text for m in messages] == ["Новости парка: скамейки поставлены"]
        assert all(received(world, r, "скамейки") == 1 for r in residents)


async def test_the_delivery_list_is_written_whole_before_anything_is_sent(tmp_path):
    async with webchat_world(tmp_path) as world:
        for _ in range(12):
            await add_resident(world.app)
        broadcast_id, recipients = await create(world.app.db, spec(), status="draft")
        assert recipients == 12
        assert [status for _, status in deliveries(world, broadcast_id)] == ["pending"] * 12
        assert database(world).count("outbox") == 0
        assert await resume(world.app.db, broadcast_id)
        shown = await done(world, broadcast_id)
        assert shown.sent == 12


async def test_audiences_by_topic_channel_language_source_and_poll(tmp_path):
    async with webchat_world(tmp_path) as world:
        app = world.app
        episodes_fan = await add_resident(app, topics=("episodes",), name="Оля")
        news_reader = await add_resident(app, topics=("news",), language="en")
        from_poster = await add_resident(app, source="poster_12")
        on_vk = await add_resident(app, channel="vk", external_id="1001", topics=("episodes",))
        unreachable = await add_resident(app, topics=("episodes",))
        voter = await add_resident(app)
        async with app.db.transaction() as tx:
            gone = await tx.residents.find("webchat", session_ref(unreachable.session).external_id)
            await tx.residents.set_reachable(gone.id, False)
            await tx.content.store([StoredItem(ContentKind.POLLS, "park_name", json.dumps({"key": "park_name"}),
                                               {"opens_at": "2026-01-01T00:00:00+00:00",
                                                "closes_at": "2027-01-01T00:00:00+00:00"}, {"poll_kind": "single"})])
            poll_id = (await tx.content.get(ContentKind.POLLS, "park_name"))[0]
            who = await tx.residents.find("webchat", session_ref(voter.session).external_id)
            await tx.polls.cast(poll_id, f"resident:{who.id}", who.id, "webchat", [("urguy", 1)], False)

        def ids(*residents):
            return sorted(r if isinstance(r, str) else session_ref(r.session).external_id for r in residents)

        async def chosen(**audience) -> list[str]:
            counted = await app.db.reader.broadcasts.count_audience(Audience(**audience))
            broadcast_id, recipients = await create(app.db, spec(**audience), status="draft")
            assert counted == recipients
            return sorted(external_id for external_id, _ in deliveries(world, broadcast_id))

        assert await chosen(topic="episodes") == ids(episodes_fan, on_vk)
        assert await chosen(topic="episodes", channels=["webchat"]) == ids(episodes_fan)
        assert await chosen(channels=["vk"]) == ids(on_vk)
        assert await chosen(languages=["en"]) == ids(news_reader)
        assert await chosen(source="poster_12") == ids(from_poster)
        assert await chosen(poll="park_name") == ids(voter)
        assert await chosen() == ids(episodes_fan, news_reader, from_poster, on_vk, voter)


async def test_a_template_that_reaches_for_python_internals_is_refused_with_a_clear_message(tmp_path):
    for template in ("{{ ''.__class__.__mro__ }}", "{{ name.__class__ }}", "{{ name['__class__'] }}",
                     "{% if false %}{{ ().__class__.__base__.__subclasses__() }}{% endif %}",
                     "{{ name|attr('__class__') }}"):
        with pytest.raises(TemplateProblem) as refused:
            validate({"ru": template})
        assert "нельзя" in str(refused.value) and "текст на языке ru" in str(refused.value)
    with pytest.raises(TemplateProblem, match="строка 1"):
        validate({"ru": "Привет, {{ name "})
    with pytest.raises(TemplateProblem, match="неизвестная переменная phone"):
        validate({"ru": "{{ phone }}"})
    async with webchat_world(tmp_path) as world:
        await add_resident(world.app)
        with pytest.raises(TemplateProblem):
            await create(world.app.db, spec("{{ ''.__class__.__mro__ }}"))
        assert database(world).count("broadcasts") == 0


async def test_the_name_and_language_personalise_the_text(tmp_path):
    texts = {"ru": "Здравствуйте, {{ name }}! Новая серия вышла.", "en": "Hello, {{ name }}! A new episode is out."}
    assert render(texts, "en", "Anna") == "Hello, Anna! A new episode is out."
    assert render(texts, "de", "Hans") == "Здравствуйте, Hans! Новая серия вышла."  # the default language
    async with webchat_world(tmp_path) as world:
        anna = browser(world, await add_resident(world.app, name="Анна"))
        nameless = browser(world, await add_resident(world.app))
        english = browser(world, await add_resident(world.app, name="Tom", language="en"))
        broadcast_id, _ = await create(world.app.db, BroadcastSpec(title="episode", texts=texts, audience=Audience()))
        await done(world, broadcast_id)
        assert [m.text for m in await anna.later()] == ["Здравствуйте, Анна! Новая серия вышла."]
        assert [m.text for m in await nameless.later()] == ["Здравствуйте, житель! Новая серия вышла."]
        assert [m.text for m in await english.later()] == ["Hello, Tom! A new episode is out."]


async def test_a_paused_broadcast_stops_and_resumes_where_it_was_nobody_twice(tmp_path):
    async with webchat_world(tmp_path, **SLOW) as world:
        residents = [await add_resident(world.app) for _ in range(20)]
        broadcast_id, _ = await create(world.app.db, spec())

        async def some_sent():
            return (await progress(world.app.db, broadcast_id)).sent >= 3
        await eventually(some_sent)
        assert await pause(world.app.db, broadcast_id)

        async def settled():
            shown = await progress(world.app.db, broadcast_id)
            return shown if shown.sending == 0 else None
        paused = await eventually(settled)
        assert paused.status == "paused" and paused.pending > 0 and paused.sent < 20
        assert await resume(world.app.db, broadcast_id)
        shown = await done(world, broadcast_id)
        assert shown.sent == 20
        assert all(received(world, r, "скамейки") == 1 for r in residents)


async def test_a_cancelled_broadcast_sends_nothing_more(tmp_path):
    async with webchat_world(tmp_path, **SLOW) as world:
        residents = [await add_resident(world.app) for _ in range(20)]
        broadcast_id, _ = await create(world.app.db, spec())

        async def some_sent():
            return (await progress(world.app.db, broadcast_id)).sent >= 2
        await eventually(some_sent)
        assert await cancel(world.app.db, broadcast_id) is not None

        async def settled():
            shown = await progress(world.app.db, broadcast_id)
            return shown if shown.sending == 0 and shown.pending == 0 else None
        shown = await eventually(settled)
        assert shown.status == "cancelled" and shown.skipped > 0 and shown.sent + shown.skipped == 20
        got = sum(received(world, r, "скамейки") for r in residents)
        assert got == shown.sent
        assert await cancel(world.app.db, broadcast_id) is None  # nothing left to cancel


async def test_a_broadcast_scheduled_for_later_waits_and_then_goes_out(tmp_path):
    async with webchat_world(tmp_path) as world:
        residents = [await add_resident(world.app) for _ in range(5)]
        later = spec()
        later.send_at = datetime.now(timezone.utc) + timedelta(seconds=2)
        broadcast_id, _ = await create(world.app.db, later)
        shown = await progress(world.app.db, broadcast_id)
        assert (shown.status, shown.pending, shown.sent) == ("scheduled", 5, 0)
        await done(world, broadcast_id)
        assert all(received(world, r, "скамейки") == 1 for r in residents)


async def test_a_broadcast_due_while_the_bot_was_down_goes_out_at_the_next_start(tmp_path):
    async with webchat_world(tmp_path) as world:
        residents = [await add_resident(world.app) for _ in range(3)]
        soon = spec()
        soon.send_at = datetime.now(timezone.utc) + timedelta(hours=1)
        broadcast_id, _ = await create(world.app.db, soon)
        # the hour passes while the bot is down
        database(world).change("broadcasts", {"id": broadcast_id},
                               send_at=(datetime.now(timezone.utc) - timedelta(minutes=5)).isoformat())
    async with webchat_world(tmp_path) as world:
        await done(world, broadcast_id)
        assert all(received(world, r, "скамейки") == 1 for r in residents)


async def test_results_are_written_in_batches_not_one_commit_per_message(tmp_path):
    async with webchat_world(tmp_path, SOUCHASTIE_WEBCHAT_BROADCAST_BATCH="1",
                             SOUCHASTIE_WEBCHAT_BROADCAST_BATCHES_PER_SECOND="40") as world:
        for _ in range(60):
            await add_resident(world.app)
        async with stored.watch_results(world.app.db) as results:
            broadcast_id, _ = await create(world.app.db, spec())
            await done(world, broadcast_id)
        assert results.writes() == 60
        assert 0 < results.transactions() < 60 // 3


async def run_cli(tmp_path, *arguments: str) -> tuple[int, str, str]:
    environment = {**postgres.bot_environment(tmp_path / "souchastie.db"),
                   "SOUCHASTIE_STORAGE_ATTACHMENTS_DIR": str(tmp_path / "attachments"), "PATH": "/usr/bin:/bin"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(ROOT / "config.yaml"), "--log-level", "WARNING", *arguments,
        cwd=str(ROOT), env=environment, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    return process.returncode, out.decode(), err.decode()


# One recipient a second: the broadcast is still going when the next CLI process (seconds to
# start on a loaded machine) pauses it.
SLOWER = {**SLOW, "SOUCHASTIE_WEBCHAT_BROADCAST_BATCHES_PER_SECOND": "1"}


async def test_staff_see_the_count_before_a_broadcast_is_made_and_control_it_from_the_cli(tmp_path):
    async with webchat_world(tmp_path, **SLOWER) as world:
        residents = [await add_resident(world.app, topics=("news",)) for _ in range(8)]
        await add_resident(world.app)  # not subscribed

        code, out, _ = await run_cli(tmp_path, "broadcast", "create", "--text-ru", "Проверка {{ name }}",
                                     "--topic", "news", "--dry-run")
        assert code == 0 and "Получателей: 8 (веб-чат 8)" in out and "Пробный запуск: рассылка не создана" in out
        assert "--- telegram, ru" in out and "Проверка житель" in out
        code, _, err = await run_cli(tmp_path, "broadcast", "create", "--text-ru", "{{ ''.__class__ }}")
        assert code == 2 and "нельзя" in err and "ничего не изменено" in err

        code, out, _ = await run_cli(tmp_path, "broadcast", "create", "--text-ru", "Субботник в парке",
                                     "--topic", "news", "--yes")
        assert code == 0
        lines = out.splitlines()
        assert lines[1] == "Получателей: 8 (веб-чат 8)" and lines[2].startswith("Рассылка № 1 создана: 8 получателей")
        code, out, _ = await run_cli(tmp_path, "broadcast", "pause", "1")
        assert code == 0 and "на паузе" in out
        code, out, _ = await run_cli(tmp_path, "broadcast", "list")
        assert "на паузе" in out and "Субботник в парке" in out
        code, out, _ = await run_cli(tmp_path, "broadcast", "resume", "1")
        assert code == 0 and "идёт отправка" in out
        code, out, _ = await run_cli(tmp_path, "broadcast", "watch", "1")
        assert code == 0 and "[" + "#" * 30 + "] 100%" in out and "Рассылка № 1 завершена: отправлено 8" in out
        code, out, _ = await run_cli(tmp_path, "broadcast", "status", "1")
        assert "состояние:    завершена" in out and "отправлено:   8" in out
        code, out, _ = await run_cli(tmp_path, "broadcast", "preview", "1")
        assert "--- webchat, ru: 1 сообщение\nСубботник в парке" in out
        code, _, err = await run_cli(tmp_path, "broadcast", "cancel", "1")
        assert code == 2 and "ничего не изменено" in err
        assert all(received(world, r, "Субботник") == 1 for r in residents)
