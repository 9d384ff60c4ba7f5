"""«Присоединяйтесь» (issue 16, point 5): a resident or an organisation joins the project with a
consent of its own; nothing is kept before it, whatever buttons are forged; staff list the
offers with filters and download them (Russian headers, the town's clock), each look audited;
the public page's count; leaving, and /forget, erase the offer.

The journey runs on the web chat, VK, Telegram and MAX with the shipped campaign loaded."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import openpyxl
import pytest

from tests import stored
from tests.drivers import CAMPAIGN, load_content_into, load_world
from tests.drivers.panel import StaffBrowser, make_staff
from tests.drivers.webchat import world as webchat_world
from tests.journey import all_text, consent as consent_given, last_buttons, onboard

CHANNELS = ["webchat", "vk", "telegram", "max"]


@pytest.fixture(params=CHANNELS)
async def world(request, tmp_path):
    async with load_world(request.param)(tmp_path) as running:
        await load_content_into(running.app, CAMPAIGN)
        yield running


async def join_as_organisation(resident) -> None:
    consent = await resident.press("menu:join")
    assert "Согласны на обработку" in all_text(consent) and "join:agree" in last_buttons(consent)
    kind = await resident.press("join:agree")
    assert "join:kind:organisation" in last_buttons(kind), all_text(kind)
    assert "называется" in all_text(await resident.press("join:kind:organisation"))
    contact = await resident.send_text("  Клуб «Зелёный двор»  ")
    assert "join:contact:email" in last_buttons(contact), all_text(contact)
    await resident.press("join:contact:email")
    wrong = await resident.send_text("не почта")
    assert "Не похоже на адрес почты" in all_text(wrong)
    helps = await resident.send_text("dvor@example.org")
    assert "join:help:cleanup" in last_buttons(helps), all_text(helps)
    ticked = await resident.press("join:help:cleanup")
    assert "✅ Субботники и благоустройство" in all_text(ticked) or any(
        "✅ Субботники" in b["label"] for m in ticked for row in m.buttons for b in row), all_text(ticked)
    await resident.press("join:other")
    await resident.send_text("Дадим саженцы для аллеи")
    done = await resident.press("join:done")
    assert "Спасибо, что присоединились" in all_text(done), all_text(done)


async def test_an_organisation_joins_from_the_menu_and_can_leave(world):
    resident = world.resident(51)
    await onboard(resident)
    assert await stored.count(world.app.db, "volunteers") == 0
    await join_as_organisation(resident)
    assert await stored.rows(world.app.db, "volunteers", "kind", "name", "contact_kind", "contact", "help",
                             "help_other") == [("organisation", "Клуб «Зелёный двор»", "email", "dvor@example.org",
                                                '["cleanup"]', "Дадим саженцы для аллеи")]
    count = await world.app.db.reader.volunteers.count_joined()
    assert (count.people, count.organisations) == (0, 1)

    again = await resident.press("menu:join")
    assert "Вы уже присоединились" in all_text(again) and "Зелёный двор" in all_text(again)
    left = await resident.press("join:leave")
    assert "Вы вышли из списка" in all_text(left)
    assert await stored.count(world.app.db, "volunteers") == 0


async def test_a_person_joins_by_a_posters_link_and_is_written_to_in_the_chat(tmp_path):
    async with webchat_world(tmp_path) as world:
        resident = world.resident(52)
        await resident.send_text("/start join")
        consent = await consent_given(resident)
        assert "join:agree" in last_buttons(consent), all_text(consent)  # the link, followed after consent
        await resident.press("join:agree")
        await resident.press("join:kind:person")
        await resident.send_text("Анна Петрова")
        helps = await resident.press("join:contact:messenger")
        nothing = await resident.press("join:done")
        assert "хотя бы один" in all_text(nothing)
        await resident.press("join:help:events")
        await resident.press("join:done")
        assert await stored.rows(world.app.db, "volunteers", "kind", "name", "contact_kind", "contact") == [
            ("person", "Анна Петрова", "messenger", "")]
        assert "join:help:events" in last_buttons(helps)


async def test_nothing_is_kept_before_the_joining_consent_whatever_is_pressed(tmp_path):
    async with webchat_world(tmp_path) as world:
        app = world.app
        resident = world.resident(53)
        await onboard(resident)
        forged = ["join:kind:person", "join:contact:phone", "join:help:events", "join:other", "join:done",
                  "join:agree", "join:leave", "join:again"]
        for payload in forged:  # at the menu, none of them is the way in
            await resident.press(payload)
        await resident.press("menu:join")   # at the consent: only «Согласен» leads on
        for payload in forged:
            if payload != "join:agree":
                await resident.press(payload)
        await resident.send_text("Анна Петрова")
        await resident.press("nav:cancel")
        assert await stored.count(app.db, "volunteers") == 0
        async with app.db.transaction() as tx:  # a step forged without the consent it needs
            row = (await tx.residents.find("webchat", next(iter(await _external_ids(app)))))
            row.state, row.state_data = "join:help", {"join": {"kind": "person", "name": "А", "contact_kind": "phone",
                                                               "help": ["events"]}}
            await tx.residents.save_states([row])
        back = await resident.press("join:done")
        assert "Согласны на обработку" in all_text(back)
        assert await stored.count(app.db, "volunteers") == 0


async def _external_ids(app) -> list[str]:
    return [row[0] for row in await stored.rows(app.db, "residents", "external_id", channel="webchat")]


async def test_staff_list_filter_and_export_in_russian_and_local_time_every_look_audited(tmp_path):
    async with webchat_world(tmp_path) as world:
        app = world.app
        organisation, person = world.resident(54), world.resident(55)
        for resident in (organisation, person):
            await onboard(resident)
        await join_as_organisation(organisation)
        await person.press("menu:join")
        await person.press("join:agree")
        await person.press("join:kind:person")
        await person.send_text("Иван Сидоров")
        await person.press("join:contact:phone")
        await person.send_text("8 914 123-45-67")
        await person.press("join:help:events")
        await person.press("join:done")
        await make_staff(app, "olga", "admin")
        await make_staff(app, "mila", "moderator")
        await make_staff(app, "egor", "expert")
        async with StaffBrowser.of(app) as olga:
            await olga.login("olga")
            page = await olga.get("/admin/volunteers")
            assert page.status == 200 and "Иван Сидоров" in page.text and "Зелёный двор" in page.text
            assert "жителей — 1, организаций — 1" in page.text and "+7 914 123-45-67" in page.text
            only = await olga.get("/admin/volunteers?kind=organisation")
            assert "Зелёный двор" in only.text and "Иван Сидоров" not in only.text
            helping = await olga.get("/admin/volunteers?help=events")
            assert "Иван Сидоров" in helping.text and "Зелёный двор" not in helping.text

            sheet = await olga.get("/admin/volunteers/export?format=csv&kind=person")
            rows = list(csv.reader(io.StringIO(sheet.body.decode("utf-8-sig")), delimiter=";"))
            zone = app.settings.project.clock
            assert rows[0][:6] == ["Номер", "Кто", "Имя или название", "Как связаться", "Контакт", "Чем поможет"]
            assert f"Присоединился ({zone.label()})" in rows[0]
            # A cell that begins with «+» is made text, as every export does (no formula from a resident).
            assert [row[1:6] for row in rows[1:]] == [["житель", "Иван Сидоров", "телефон", "'+7 914 123-45-67",
                                                        "Помогать на мероприятиях"]]
            joined_at = (await stored.values(app.db, "volunteers", "joined_at", kind="person"))[0]
            local = zone.at(joined_at).strftime("%d.%m.%Y %H:%M")
            assert rows[1][rows[0].index(f"Присоединился ({zone.label()})")] == local

            book = await olga.get("/admin/volunteers/export?format=xlsx")
            sheet = openpyxl.load_workbook(io.BytesIO(book.body))["Присоединились"]
            values = list(sheet.values)
            assert values[0][:3] == ("Номер", "Кто", "Имя или название") and len(values) == 3
            joined = values[0].index(f"Присоединился ({zone.label()})")
            wall = {row[2]: row[joined] for row in values[1:]}["Иван Сидоров"]   # a real date, the town's wall time
            assert isinstance(wall, datetime) and abs((wall - zone.naive(joined_at)).total_seconds()) < 1
        async with StaffBrowser.of(app) as mila:   # no personal-data right: no names, no contacts
            await mila.login("mila")
            listed = await mila.get("/admin/volunteers")
            assert listed.status == 200 and "Иван Сидоров" not in listed.text
            assert "Помогать на мероприятиях" in listed.text
            exported = (await mila.get("/admin/volunteers/export?format=csv")).body.decode("utf-8-sig")
            assert "Иван" not in exported and "Имя или название" not in exported and "житель" in exported
        async with StaffBrowser.of(app) as egor:
            await egor.login("egor")
            assert (await egor.get("/admin/volunteers")).status == 403
            assert (await egor.get("/admin/volunteers/export?format=csv")).status == 403
        audit = await stored.rows(app.db, "audit_log", "username", "action", "subject", "details")
        looks = [(user, action, subject, json.loads(details)) for user, action, subject, details in audit
                 if action in ("volunteers.view", "export")]
        assert [(user, action, subject) for user, action, subject, _ in looks] == [
            ("olga", "volunteers.view", ""), ("olga", "volunteers.view", ""), ("olga", "volunteers.view", ""),
            ("olga", "export", "csv:volunteers"), ("olga", "export", "xlsx:volunteers"),
            ("mila", "volunteers.view", ""), ("mila", "export", "csv:volunteers")]
        assert looks[1][3] == {"personal": True, "filters": {"kind": "организация"}}
        async with StaffBrowser.of(app) as olga:
            await olga.login("olga")
            log = await olga.get("/admin/audit")
            assert "Просмотр списка «Присоединились»" in log.text and "CSV: присоединившиеся к проекту" in log.text


async def test_forget_erases_the_offer(tmp_path):
    async with webchat_world(tmp_path) as world:
        resident = world.resident(56)
        await onboard(resident)
        await join_as_organisation(resident)
        assert await stored.count(world.app.db, "volunteers") == 1
        await resident.send_text("/forget")
        await resident.press("priv:confirm")
        assert await stored.count(world.app.db, "volunteers") == 0
        assert await stored.columns_holding(world.app.db, "Зелёный двор") == []
        what = json.loads((await stored.values(world.app.db, "deletions", "what"))[0])
        assert what["deleted_join_offer"] is True
