"""«Необработанные сообщения»: staff see the inbox's dead letters and retry or discard them, over HTTP.

Two dead letters, as the bot makes them: a resident's /start whose one attempt ended with the
process dying (so at the next start it was buried untried), and a signed webhook body nobody
could read (as a channel stores one). Texts are personal data: only with that right.
"""
from __future__ import annotations

import secrets

import pytest

from bot.core.events import text_event
from channels.webchat.channel import session_ref
from tests import stored
from tests.drivers import eventually
from tests.drivers.staff_panel import log_in
from tests.drivers.webchat import world as webchat_world

SETTINGS = {"SOUCHASTIE_INBOX_MAX_ATTEMPTS": "1", "SOUCHASTIE_INBOX_RETRY_EVERY_SECONDS": "3600"}
UNREADABLE = ('{"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {"messages":'
              ' [{"from": "79140000001", "text": 5')
PAGE = "/admin/dead-letters"


@pytest.fixture
async def world(tmp_path):
    session = secrets.token_hex(16)
    async with webchat_world(tmp_path, **SETTINGS) as first:  # stored, then the process "dies"
        crashed = await first.app.dispatcher.accept(text_event(session_ref(session), "c-1", "/start poster_8"))
    async with webchat_world(tmp_path, **SETTINGS) as running:  # ... and buries it at the start
        async with running.app.db.transaction() as tx:
            stored = await tx.inbox.store_many([("whatsapp", "body-1", UNREADABLE)])
            unreadable = stored[("whatsapp", "body-1")]
            await tx.inbox.bury(unreadable, "тело запроса не удалось разобрать")
        running.ids = {"crashed": crashed, "unreadable": unreadable}
        running.session = session
        yield running


async def inbox(world, inbox_id: int) -> tuple:
    attempts, processed_at, dead_at, payload = (
        await stored.rows(world.app.db, "inbox", "attempts", "processed_at", "dead_at", "payload", id=inbox_id))[0]
    return attempts, processed_at is not None, dead_at is not None, payload


async def test_an_admin_sees_every_dead_letter_with_its_reason_and_text(world):
    admin = await log_in(world.app, "olga", "admin")
    status, page = await admin.get(PAGE)
    assert status == 200
    assert "Необработанные сообщения" in page and "веб-чат" in page and "WhatsApp" in page
    assert "обработка прервалась" in page and "тело запроса не удалось разобрать" in page
    assert "/start poster_8" in page and "79140000001" in page  # the texts, for someone with the right
    assert f'{PAGE}/{world.ids["crashed"]}/retry' in page
    assert f'{PAGE}/{world.ids["unreadable"]}/retry' not in page  # what cannot be read cannot be retried
    assert f'{PAGE}/{world.ids["unreadable"]}/discard' in page
    await admin.close()


async def test_staff_without_the_personal_data_right_see_reasons_but_not_texts(world):
    staff = await log_in(world.app, "ivan", "staff")
    status, page = await staff.get(PAGE)
    assert status == 200 and "обработка прервалась" in page and "тело запроса не удалось разобрать" in page
    assert "/start poster_8" not in page and "79140000001" not in page
    status, home = await staff.get("/admin/")
    assert f'href="{PAGE}"' in home
    await staff.close()


@pytest.mark.parametrize("role", ["moderator", "expert"])
async def test_other_roles_neither_see_nor_use_the_page(world, role):
    member = await log_in(world.app, "petr", role, personal_data=True)
    status, home = await member.get("/admin/")
    assert f'href="{PAGE}"' not in home
    assert (await member.get(PAGE))[0] == 403
    assert (await member.post(f'{PAGE}/{world.ids["crashed"]}/retry', {}))[0] == 403
    assert (await inbox(world, world.ids["crashed"]))[2] == 1
    await member.close()


async def test_a_retried_dead_letter_is_processed_at_once_and_the_action_is_audited(world):
    staff = await log_in(world.app, "ivan", "staff")
    crashed = world.ids["crashed"]
    assert (await staff.post(f"{PAGE}/{crashed}/retry", {}, with_token=False))[0] == 403  # CSRF, as every form
    assert (await inbox(world, crashed))[2] == 1

    status, page = await staff.post(f"{PAGE}/{crashed}/retry", {})
    assert status == 200 and "снова передано на обработку" in page
    await eventually(lambda: _processed(world, crashed))
    attempts, processed, dead, payload = await inbox(world, crashed)
    assert (attempts, processed, dead, payload) == (1, 1, 0, None)
    resident = world.resident()
    resident.session = world.session
    greeting = await resident.later()
    assert any(b.get("payload") == "consent:yes" for m in greeting for row in m.buttons for b in row)
    assert await stored.values(world.app.db, "residents", "first_source") == ["poster_8"]

    entries = await world.app.db.reader.staff.audit_entries(action="inbox.")
    assert [(e.username, e.action, e.subject, e.details) for e in entries] == [
        ("ivan", "inbox.retry", str(crashed), {"channel": "webchat"})]
    status, page = await staff.get(PAGE)
    assert f"{PAGE}/{crashed}/" not in page
    await staff.close()


async def _processed(world, inbox_id: int) -> bool:
    return bool((await inbox(world, inbox_id))[1])


async def test_what_cannot_be_read_is_not_retried_but_can_be_discarded_with_its_text(world):
    admin = await log_in(world.app, "olga", "admin")
    unreadable = world.ids["unreadable"]
    status, page = await admin.post(f"{PAGE}/{unreadable}/retry", {})
    assert status == 400 and "можно только удалить" in page
    assert (await inbox(world, unreadable))[2:] == (1, UNREADABLE)

    status, page = await admin.post(f"{PAGE}/{unreadable}/discard", {})
    assert status == 200 and "убрано из списка" in page
    assert f"{PAGE}/{unreadable}/" not in page and "79140000001" not in page
    assert (await inbox(world, unreadable))[1:] == (1, 0, None)  # closed, text erased, key kept
    entries = await world.app.db.reader.staff.audit_entries(action="inbox.")
    assert [(e.action, e.subject) for e in entries] == [("inbox.discard", str(unreadable))]
    assert (await admin.post(f"{PAGE}/{unreadable}/discard", {}))[0] == 404
    assert (await admin.post(f"{PAGE}/99999999/retry", {}))[0] == 404
    await admin.close()
