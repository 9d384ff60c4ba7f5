"""The panel speaks the official's language: the broadcast form lists channels by their titles,
a broadcast's audience is said in Russian, and the audit log shows «Рассылка создана» with
«получателей: 3; отправка: сейчас», not ``broadcast.create`` and ``recipients: 3; status: now``."""
from __future__ import annotations

import pytest

from storage.proposals import NewProposal
from tests.drivers.staff_panel import log_in
from tests.drivers.webchat import world as webchat_world


@pytest.fixture
async def world(tmp_path):
    async with webchat_world(tmp_path) as running:
        async with running.app.db.transaction() as tx:
            for number in range(3):
                resident = await tx.residents.get_or_create("webchat", f"resident{number}")
                await tx.residents.record_consent(resident.id, "v1", f"Житель {number}")
                await tx.subscriptions.subscribe(resident.id, "news")
                await tx.proposals.create(NewProposal(resident.id, "webchat", None, "idea", f"Идея номер {number}"))
        yield running


def table_of(page: str) -> str:
    """The log's rows, without the filter form (whose options carry the keys as values)."""
    return page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


async def test_the_broadcast_form_lists_channels_by_their_titles_and_keeps_them_ticked(world):
    staff = await log_in(world.app, "рассыльщик", "staff")
    try:
        _, page = await staff.get("/admin/broadcasts")
        assert 'value="webchat"> веб-чат</label>' in page and "> webchat</label>" not in page
        status, page = await staff.post("/admin/broadcasts", {"title": "Новости", "text_ru": "{{ name }}, привет!",
                                                              "channels": "webchat", "action": "preview"})
        assert status == 200 and "Анна, привет!" in page
        assert 'value="webchat" checked> веб-чат</label>' in page
        status, page = await staff.post("/admin/broadcasts", {"title": "Новости", "text_ru": "{{ phone }}",
                                                              "action": "preview"})
        # the template's own check names the variable (its words come from broadcasts/templates.py),
        # not a bare rendering error
        assert status == 400 and 'class="error"' in page and "phone" in page and "UndefinedError" not in page
    finally:
        await staff.close()


async def test_a_broadcasts_audience_and_its_audit_line_read_in_russian(world):
    admin = await log_in(world.app, "ольга", "admin")
    try:
        form = {"title": "Новости", "text_ru": "{{ name }}, в субботу субботник!", "topic": "news",
                "channels": "webchat", "action": "send"}
        status, page = await admin.post("/admin/broadcasts", form)
        assert status == 200 and "Рассылка №" in page
        assert "все жители, давшие согласие, которым можно написать; подписчики темы Новости проекта;" \
               " каналы: веб-чат" in page
        assert "every reachable" not in page and "subscribers of" not in page
        _, log = await admin.get("/admin/audit")
        rows = table_of(log)
        assert "Рассылка создана" in rows and "получателей: 3; отправка: сейчас" in rows
        assert "broadcast.create" not in rows and "recipients" not in rows
        assert "Вход в панель" in rows and ">login<" not in rows
        _, only_broadcasts = await admin.get("/admin/audit", action="broadcast.create")
        assert "Рассылка создана" in table_of(only_broadcasts) and "Вход в панель" not in table_of(only_broadcasts)
        assert '<option value="broadcast.create" selected>Рассылка создана</option>' in only_broadcasts
    finally:
        await admin.close()
