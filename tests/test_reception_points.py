"""Proposals taken at the campaign's reception points, by phone and on paper: the point chosen
from the configured list, counted in the statistics by channel, source and point, and the
author with a phone number told by SMS (a fake SMS gateway on loopback) of the receipt and of
each decision; their number kept only with their consent, and erased with them."""
from __future__ import annotations

import re
from contextlib import asynccontextmanager

import pytest

from bot.config import ConfigError, load_settings
from channels.webchat.channel import session_ref
from tests.drivers.panel import StaffBrowser, make_staff
from tests.drivers.webchat import world
from tests.fakes.sms import FakeSmsGateway
from tests.journey import all_text, onboard, propose

PHONE, TYPED = "+79141234567", "8 (914) 123-45-67"


def entry(text: str, **fields: str) -> dict[str, str]:
    return {"source": "reception", "point": "library", "category": "problem", "text": text,
            "author_name": "Мария Ивановна", "author_phone": TYPED, "consent": "1", **fields}


def number_of(page) -> int:
    return int(page.url.rsplit("/", 1)[1].split("?")[0])


def table(page: str, block: str) -> dict[str, int]:
    """The rows of one of the statistics' tables: {title: proposals}."""
    found = re.search(rf'<div id="{block}">(.*?)</div>', page, re.S)
    assert found, block
    return {title: int(n) for title, n in re.findall(r"<tr><td>([^<]*)</td><td>(\d+)</td></tr>", found.group(1))}


@asynccontextmanager
async def sms_world(tmp_path):
    fake = await FakeSmsGateway().start()
    try:
        async with world(tmp_path, **fake.environment("smsru")) as running:
            yield running, fake
    finally:
        await fake.close()


async def test_the_operator_chooses_the_reception_point_from_the_list_and_a_forged_one_is_refused(tmp_path):
    async with world(tmp_path) as w:
        await make_staff(w.app, "mila", "moderator")
        async with StaffBrowser.of(w.app) as mila:
            await mila.login("mila")
            form = await mila.get("/admin/operator")
            assert '<select name="point">' in form.text
            assert '<option value="library">Центральная городская библиотека</option>' in form.text
            assert form.text.count("<option value=\"", form.text.index('name="point"'),
                                   form.text.index('name="category"')) == 8  # «none» and the seven points

            page = await mila.post("/admin/operator", entry("Сломана горка на детской площадке"))
            assert page.status == 200 and "Центральная городская библиотека" in page.text
            card = await w.app.db.reader.moderation.card(number_of(page))
            assert (card.source, card.point) == ("reception", "library")

            for forged in ({"point": "Библиотека, ул. Ленина 3"}, {"point": "nosuch"}, {"point": "Library"}):
                refused = await mila.post("/admin/operator", entry("Нет освещения на аллее у пруда", **forged))
                assert refused.status == 400 and "пункт приёма из списка" in refused.text, forged
            unnamed = await mila.post("/admin/operator", entry("Нет освещения на аллее у пруда", point=""))
            assert unnamed.status == 400 and "в каком пункте приёма" in unnamed.text
            by_phone = await mila.post("/admin/operator", entry("Нет освещения на аллее у пруда", source="phone",
                                                                point=""))
            assert by_phone.status == 200
            assert await w.app.db.reader.moderation.existing(list(range(1, 10))) == [card.id, card.id + 1]


async def test_a_phone_number_or_a_name_is_kept_only_with_the_authors_consent(tmp_path):
    async with world(tmp_path) as w:
        await make_staff(w.app, "mila", "moderator")
        async with StaffBrowser.of(w.app) as mila:
            await mila.login("mila")
            no_consent = await mila.post("/admin/operator", entry("Сломана горка на детской площадке", consent=""))
            assert no_consent.status == 400 and "согласия" in no_consent.text
            bad_phone = await mila.post("/admin/operator", entry("Сломана горка на детской площадке",
                                                                 author_phone="12-34"))
            assert bad_phone.status == 400 and "Телефон автора не распознан" in bad_phone.text
            assert await w.app.db.reader.moderation.existing(list(range(1, 10))) == []
            anonymous = await mila.post("/admin/operator", entry("Сломана горка на детской площадке", consent="",
                                                                 author_name="", author_phone=""))
            assert anonymous.status == 200
            kept = await mila.post("/admin/operator", entry("Сломана горка на детской площадке"))
            card = await w.app.db.reader.moderation.card(number_of(kept))
            assert (card.author_phone, card.author_name) == (PHONE, "Мария Ивановна")
            assert card.author_consent_at is not None


async def test_statistics_count_proposals_by_channel_source_and_reception_point_with_titles(tmp_path):
    async with world(tmp_path) as w:
        resident = w.resident()
        await onboard(resident, "poster_12")
        await propose(resident, "Поставить скамейки у пруда и фонарь", photo=False, point=None)
        await make_staff(w.app, "mila", "moderator")
        await make_staff(w.app, "olga", "admin")
        async with StaffBrowser.of(w.app) as mila, StaffBrowser.of(w.app) as olga:
            await mila.login("mila")
            await olga.login("olga")
            for fields in ({}, {}, {"point": "park"}, {"source": "phone", "point": ""},
                           {"source": "paper", "point": "library"}):
                page = await mila.post("/admin/operator", entry("Сломана горка на детской площадке", **fields))
                assert page.status == 200
            spam = await mila.post("/admin/operator", entry("Купите наши окна недорого", point="mfc"))
            await mila.post(f"/admin/proposals/{number_of(spam)}/status", {"status": "spam", "reason": ""})

            stats = await olga.get("/admin/stats")
            assert stats.status == 200
            assert table(stats.text, "proposals-by-channel") == {"через оператора": 5, "веб-чат": 1}
            assert table(stats.text, "proposals-by-source") == {
                "в пункте приёма": 3, "на бумаге (письмо)": 1, "по телефону": 1, "poster_12": 1}
            assert table(stats.text, "proposals-by-point") == {
                "Администрация городского поселения": 0, "Культурно-спортивный центр": 0,
                "Центральная городская библиотека": 3, "Детский парк культуры и отдыха": 1,
                "МФЦ «Мои документы»": 0, "Молодёжный центр": 0, "Торговый центр (стойка проекта)": 0}


async def test_the_author_gets_an_sms_receipt_and_an_sms_when_the_status_changes(tmp_path):
    async with sms_world(tmp_path) as (w, fake):
        await make_staff(w.app, "mila", "moderator")
        async with StaffBrowser.of(w.app) as mila:
            await mila.login("mila")
            form = await mila.get("/admin/operator")
            assert "придёт SMS с номером предложения" in form.text and "SMS не настроены" not in form.text
            page = await mila.post("/admin/operator", entry("Сломана горка на детской площадке"))
            number = number_of(page)
            assert "Автору отправлено SMS" in page.text
            receipt = fake.to(PHONE)
            assert [sms.text for sms in receipt] == [
                f"Ваше предложение П-{number} принято. О решении по нему сообщим SMS."]

            changed = await mila.post(f"/admin/proposals/{number}/status", {"status": "accepted", "reason": ""})
            assert changed.status == 200
            assert fake.to(PHONE)[-1].text == f"Ваше предложение П-{number}: принято в проект."
            assert "отправлено о статусе «принято в проект»" in changed.text  # the history says it went
            await mila.post(f"/admin/proposals/{number}/status", {"status": "spam", "reason": ""})
            assert len(fake.to(PHONE)) == 2  # hiding as spam tells no one

            fake.fail("bad_number")
            failed = await mila.post("/admin/operator", entry("Нет освещения на аллее у пруда"))
            assert failed.status == 200 and "SMS автору не отправлено" in failed.text
            assert "номер не принимает SMS" in failed.text and "+7 914" not in failed.text and PHONE not in failed.text


async def test_without_an_sms_provider_the_operator_page_says_nothing_will_be_sent(tmp_path):
    fake = await FakeSmsGateway().start()
    try:
        async with world(tmp_path) as w:  # the fake runs, but no provider points at it
            await make_staff(w.app, "mila", "moderator")
            async with StaffBrowser.of(w.app) as mila:
                await mila.login("mila")
                form = await mila.get("/admin/operator")
                assert "SMS не настроены" in form.text and "автору ничего не придёт" in form.text
                page = await mila.post("/admin/operator", entry("Сломана горка на детской площадке"))
                number = number_of(page)
                assert page.status == 200 and "Создано." in page.text and "SMS" not in page.text
                await mila.post(f"/admin/proposals/{number}/status", {"status": "accepted", "reason": ""})
                card = await w.app.db.reader.moderation.card(number)
                assert [e.kind for e in card.events] == ["entered", "status"]
        assert fake.requests == 0
    finally:
        await fake.close()


async def test_erasing_a_resident_with_that_number_erases_the_author_from_operator_entries(tmp_path):
    async with world(tmp_path) as w:
        resident = w.resident()
        await onboard(resident)
        await make_staff(w.app, "mila", "moderator")
        async with StaffBrowser.of(w.app) as mila:
            await mila.login("mila")
            taken = number_of(await mila.post("/admin/operator", entry("Сломана горка на детской площадке")))
            other = number_of(await mila.post("/admin/operator", entry("Нет освещения у пруда",
                                                                       author_phone="+7 914 765-43-21")))
        async with w.app.db.transaction() as tx:  # the number the resident confirmed in a phone poll
            found = await tx.residents.find("webchat", session_ref(resident.session).external_id)
            await tx.residents.set_phone(found.id, PHONE, True)
        await resident.send_text("/forget")
        assert "удалены" in all_text(await resident.press("priv:confirm"))
        card = await w.app.db.reader.moderation.card(taken)
        assert (card.author_name, card.author_phone, card.author_contact, card.author_consent_at) == ("", "", "", None)
        assert card.text == "Сломана горка на детской площадке"  # the proposal itself stays
        assert (await w.app.db.reader.moderation.card(other)).author_phone == "+79147654321"


async def test_staff_erase_an_entered_author_on_request_from_every_proposal_with_that_number(tmp_path):
    async with sms_world(tmp_path) as (w, fake):
        await make_staff(w.app, "mila", "moderator")
        await make_staff(w.app, "anna", "admin", personal_data=True)
        async with StaffBrowser.of(w.app) as mila, StaffBrowser.of(w.app) as anna:
            await mila.login("mila")
            await anna.login("anna")
            first = number_of(await mila.post("/admin/operator", entry("Сломана горка на детской площадке")))
            second = number_of(await mila.post("/admin/operator", entry("Нет освещения у пруда",
                                                                        author_phone="+7 914 123 45 67")))
            someone_else = number_of(await mila.post("/admin/operator", entry(
                "Нужны урны у входа", author_name="Пётр", author_phone="+7 914 765-43-21")))
            assert (await mila.post(f"/admin/proposals/{first}/forget-author")).status == 403
            shown = await anna.get(f"/admin/proposals/{first}")
            assert "Мария Ивановна" in shown.text and 'id="forget-author"' in shown.text
            erased = await anna.post(f"/admin/proposals/{first}/forget-author")
            assert erased.status == 200 and "Мария Ивановна" not in erased.text
            for number in (first, second):
                card = await w.app.db.reader.moderation.card(number)
                assert (card.author_name, card.author_phone, card.author_consent_at) == ("", "", None)
            assert (await w.app.db.reader.moderation.card(someone_else)).author_name == "Пётр"
            sent = len(fake.to(PHONE))
            await mila.post(f"/admin/proposals/{second}/status", {"status": "accepted", "reason": ""})
            assert len(fake.to(PHONE)) == sent  # an erased author is not written to any more


def test_reception_point_keys_must_be_unique_and_well_formed():
    points = '[{key: library, title: Библиотека}, {key: library, title: Другая библиотека}]'
    with pytest.raises(ConfigError, match="ключи пунктов приёма должны быть разными"):
        load_settings(None, {"SOUCHASTIE_PROPOSALS_RECEPTION_POINTS": points})
    with pytest.raises(ConfigError, match="reception_points"):
        load_settings(None, {"SOUCHASTIE_PROPOSALS_RECEPTION_POINTS": '[{key: "Библиотека", title: Библиотека}]'})
    custom = load_settings(None, {"SOUCHASTIE_PROPOSALS_RECEPTION_POINTS":
                                  '[{key: school_5, title: Школа № 5, address: "мкр 5, д. 1", hours: "пн–пт 9–18"}]'})
    assert [(p.key, p.title, p.hours) for p in custom.proposals.reception_points] == [
        ("school_5", "Школа № 5", "пн–пт 9–18")]
