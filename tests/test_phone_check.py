"""A poll with one vote per phone number, on channels that cannot vouch for a number: a code by SMS
(a fake SMS gateway on loopback), its limits, its failures, and one person one vote everywhere."""
from __future__ import annotations

from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp
import pytest

from bot.phones import e164
from tests import stored
from tests.drivers import eventually, load_content_into, load_world
from tests.drivers.webchat import WebChatResident
from tests.fakes.sms import FakeSmsGateway
from tests.journey import all_text, last_buttons, onboard
from tests.stored import rows_of

CONTENT = Path(__file__).parent / "fixtures" / "content" / "polls.yaml"
PHONE, TYPED = "+79141234567", "8 (914) 123-45-67"
RESEND, OTHER = "sms:by_phone:resend", "sms:by_phone:number"


@asynccontextmanager
async def sms_world(tmp_path, channel: str = "webchat", content: Path = CONTENT, **settings: str):
    fake = await FakeSmsGateway().start()
    try:
        async with load_world(channel)(tmp_path, **fake.environment(**settings)) as world:
            await load_content_into(world.app, content)
            yield world, fake
    finally:
        await fake.close()


async def ask_for_a_code(resident, fake: FakeSmsGateway, typed: str = TYPED, sent_before: int = 0) -> str:
    """From the main menu to the code step; returns the code the SMS carried."""
    asked = await resident.send_text("/start poll-by_phone")
    assert "SMS" in all_text(asked) and not [r for m in asked for r in m.requests()], all_text(asked)
    code_step = await resident.send_text(typed)
    assert RESEND in last_buttons(code_step) and "+7 914 123-45-67" in all_text(code_step), all_text(code_step)
    sms = await eventually(lambda: fake.to(PHONE)[sent_before:])
    return sms[-1].code


async def ballots(world, poll: str = "by_phone") -> list[tuple]:
    return await stored.ballots(world.app.db, poll)


async def later(resident) -> str:
    """What the bot said on its own since the resident last heard from it."""
    return all_text(await resident.later(timeout=10))


async def heard(resident, replies, words: str) -> str:
    """The replies' text and, until it holds ``words``, what the bot says on its own next: a
    notice sent after the commit may reach a messenger before or after the replies."""
    text = all_text(replies)
    return text if words in text else text + "\n" + await later(resident)


# -- the whole way, on the channels that cannot share a contact -----------------------------------

@pytest.mark.parametrize("channel", ["webchat", "vk", "ok"])
async def test_a_resident_confirms_the_number_by_sms_and_votes(tmp_path, channel):
    async with sms_world(tmp_path, channel) as (world, fake):
        resident = world.resident(1)
        await onboard(resident)
        code = await ask_for_a_code(resident, fake)
        assert fake.sent[0].text == f"Код: {code}. Никому его не сообщайте."
        ballot = await resident.send_text(fake.sent[0].text)  # the SMS pasted back whole
        assert "+7 914 123-45-67 подтверждён" in all_text(ballot)
        assert "vote:by_phone:yes" in last_buttons(ballot)
        thanks = await resident.press("vote:by_phone:yes")
        assert "голос учтён" in all_text(thanks)
        assert await ballots(world) == [(f"phone:{PHONE}", channel, "yes")]
        assert len(fake.sent) == 1 and fake.sent[0].sender == "Park"


async def test_the_code_is_kept_only_as_a_salted_hash(tmp_path):
    async with sms_world(tmp_path) as (world, fake):
        resident = world.resident()
        await onboard(resident)
        code = await ask_for_a_code(resident, fake)
        rows = await stored.records(world.app.db, "phone_codes")
        assert len(rows) == 1 and rows[0]["phone"] == PHONE
        assert all(code not in str(value) for value in rows[0].values())


# -- wrong, expired and exhausted codes; the pause before a new one; limits per day ---------------

async def test_a_wrong_code_is_counted_and_too_many_void_the_code(tmp_path):
    async with sms_world(tmp_path, attempts_per_code="3") as (world, fake):
        resident = world.resident()
        await onboard(resident)
        code = await ask_for_a_code(resident, fake)
        wrong = f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"
        first = await resident.send_text(wrong)
        assert "не подходит" in all_text(first) and "Осталось попыток: 2" in all_text(first)
        assert RESEND in last_buttons(first)
        not_a_code = await resident.send_text("двадцать")
        assert "6 цифр" in all_text(not_a_code)  # not counted as an attempt
        await resident.send_text(wrong)
        exhausted = await resident.send_text(wrong)
        assert "больше не действует" in all_text(exhausted)
        too_late = await resident.send_text(code)  # the right code, after the code was voided
        assert "Действующего кода нет" in all_text(too_late)
        assert await ballots(world) == []


async def test_an_expired_code_does_not_confirm_the_number(tmp_path):
    async with sms_world(tmp_path, code_ttl_seconds="0.001") as (world, fake):
        resident = world.resident()
        await onboard(resident)
        code = await ask_for_a_code(resident, fake)
        expired = await resident.send_text(f"{code[:3]} {code[3:]}")
        assert "Срок действия кода истёк" in all_text(expired)
        assert not any(p.startswith("vote:") for p in last_buttons(expired))
        row = await world.app.db.reader.residents.find("webchat", resident_ref(resident))
        assert (row.phone, row.phone_verified) == ("", False)


async def test_a_new_code_waits_for_the_pause_and_then_replaces_the_old_one(tmp_path):
    async with sms_world(tmp_path) as (world, fake):  # resend_after_seconds: 60
        resident = world.resident()
        await onboard(resident)
        await ask_for_a_code(resident, fake)
        again = await resident.press(RESEND)
        assert "Новый код можно запросить через" in all_text(again) and RESEND in last_buttons(again)
        assert len(fake.sent) == 1
    async with sms_world(tmp_path / "no-pause", resend_after_seconds="0") as (world, fake):
        resident = world.resident()
        await onboard(resident)
        old = await ask_for_a_code(resident, fake)
        await resident.press(RESEND)
        new = (await eventually(lambda: fake.to(PHONE)[1:]))[0].code
        if new != old:  # one in a million they are equal
            assert "не подходит" in all_text(await resident.send_text(old))  # only the newest code works
        assert "подтверждён" in all_text(await resident.send_text(new))


async def test_codes_per_number_and_per_resident_are_limited_and_forget_resets_neither(tmp_path):
    async with sms_world(tmp_path, resend_after_seconds="0", codes_per_phone_per_day="2",
                         codes_per_resident_per_day="2") as (world, fake):
        resident = world.resident()
        await onboard(resident)
        await ask_for_a_code(resident, fake)
        await resident.press(RESEND)
        refused = await resident.press(RESEND)
        assert "На этот номер сегодня уже отправлено много кодов" in all_text(refused)
        assert "menu:polls" in last_buttons(refused)  # back in the menu, not stuck
        assert len(await eventually(lambda: fake.to(PHONE)[1:])) == 1
        resident_id = (await world.app.db.reader.residents.find("webchat", resident_ref(resident))).id
        assert (await rows_of(world.app.db, resident_id)).get("phone_codes") == 2
        await resident.send_text("/forget")
        await resident.press("priv:confirm")
        assert await phone_code_rows(world) == 0  # the resident's codes went with them
        await onboard(resident)
        await resident.send_text("/start poll-by_phone")
        still = await resident.send_text(TYPED)
        assert "На этот номер сегодня уже отправлено много кодов" in all_text(still)
        await resident.send_text("/start poll-by_phone")
        await resident.send_text("+7 914 765-43-21")
        await resident.press(OTHER)
        await resident.send_text("+7 914 555-44-33")
        await resident.press(OTHER)
        limited = await resident.send_text("+7 914 222-11-00")
        assert "Сегодня вы уже запросили много кодов" in all_text(limited)
        await eventually(lambda: len(fake.sent) == 4)
        assert fake.to("+79142221100") == []


async def test_codes_and_counts_older_than_a_day_are_deleted_by_the_housekeeping(tmp_path):
    from bot.maintenance import prune_processed_updates

    async with sms_world(tmp_path) as (world, fake):
        resident = world.resident()
        await onboard(resident)
        row = await world.app.db.reader.residents.find("webchat", resident_ref(resident))
        moment = datetime.now(timezone.utc)
        async with world.app.db.transaction() as tx:
            await tx.phone_codes.issue(row.id, PHONE, "123456", moment - timedelta(days=2), timedelta(minutes=5))
            await tx.phone_codes.issue(row.id, PHONE, "654321", moment, timedelta(minutes=5))
        await prune_processed_updates(world.app.db, 30)
        assert await phone_code_rows(world) == 1
        usage = await world.app.db.reader.phone_codes.usage(row.id, PHONE, moment)
        assert (usage.by_resident, usage.to_phone) == (1, 1)
        assert await stored.count(world.app.db, "sms_sent") == 1


async def phone_code_rows(world) -> int:
    return await stored.count(world.app.db, "phone_codes")


def resident_ref(resident: WebChatResident) -> str:
    from channels.webchat.channel import session_ref

    return session_ref(resident.session).external_id


# -- what the resident types, and what the gateway says --------------------------------------------

@pytest.mark.parametrize("typed", ["8 (914) 123-45-67", "+7 914 123 45 67", "89141234567", "9141234567",
                                   "+7(914)123-45-67", "79141234567"])
def test_every_way_of_writing_a_russian_number_is_one_number(typed):
    assert e164(typed) == PHONE


def test_what_is_no_number_is_none_and_foreign_numbers_keep_their_country():
    assert [e164(text) for text in ("12345", "телефон", "", "8 914 123", "1" * 70)] == [None] * 5
    assert e164("+1 650 555 1234") == e164("16505551234") == "+16505551234"


async def test_a_number_that_cannot_be_read_or_is_no_mobile_is_asked_again(tmp_path):
    async with sms_world(tmp_path) as (world, fake):
        resident = world.resident()
        await onboard(resident)
        await resident.send_text("/start poll-by_phone")
        unreadable = await resident.send_text("мой номер 123")
        assert "Не получилось прочитать номер" in all_text(unreadable) and "nav:cancel" in last_buttons(unreadable)
        landline = await resident.send_text("8 (495) 123-45-67")
        assert "не мобильный" in all_text(landline)
        assert fake.requests == 0
        cancelled = await resident.press("nav:cancel")
        assert "menu:polls" in last_buttons(cancelled)


@pytest.mark.parametrize("channel", ["webchat", "vk"])
async def test_when_the_gateway_fails_the_resident_is_told_plainly_and_can_try_again(tmp_path, channel, caplog):
    async with sms_world(tmp_path, channel) as (world, fake):  # resend_after_seconds: 60, not for failures
        resident = world.resident(1)
        await onboard(resident)
        fake.fail("server_error")
        await resident.send_text("/start poll-by_phone")
        told = await heard(resident, await resident.send_text(TYPED), "Не удалось")
        assert "Не удалось отправить SMS на номер +7 914 123-45-67" in told and "не работает" in told
        again = await resident.press(RESEND)
        assert "Новый код можно запросить" not in all_text(again)
        code = (await eventually(lambda: fake.to(PHONE)))[0].code
        assert "vote:by_phone:no" in last_buttons(await resident.send_text(code))
        assert "голос учтён" in all_text(await resident.press("vote:by_phone:no"))
        assert "9141234567" not in caplog.text and code not in caplog.text  # neither number nor code logged
        assert "SMS с кодом не отправлено" in caplog.text


async def test_a_number_the_operator_refuses_and_a_late_answer_are_told_apart(tmp_path):
    async with sms_world(tmp_path) as (world, fake):
        resident = world.resident()
        await onboard(resident)
        fake.fail("bad_number")
        await resident.send_text("/start poll-by_phone")
        assert "оператор его не принимает" in await heard(resident, await resident.send_text(TYPED), "оператор")
        asked = await resident.press(OTHER)
        assert "Напишите номер" in all_text(asked)
        fake.fail("timeout")
        assert "может прийти с опозданием" in await heard(resident, await resident.send_text(TYPED), "опозданием")
        code = (await eventually(lambda: fake.to(PHONE)))[0].code  # the late SMS did arrive
        assert "подтверждён" in all_text(await resident.send_text(code))


async def test_a_code_whose_sms_a_stop_cut_short_is_reported_after_the_restart(tmp_path):
    async with sms_world(tmp_path, resend_after_seconds="0") as (world, fake):
        resident = world.resident()
        await onboard(resident)
        await resident.send_text("/start poll-by_phone")
        async with world.app.db.transaction() as tx:  # as a crash between the commit and the send leaves it
            row = await tx.residents.find("webchat", resident_ref(resident))
            await tx.phone_codes.issue(row.id, PHONE, "123456", datetime.now(timezone.utc), timedelta(minutes=5))
            row.state, row.state_data = "poll:code", {"poll": "by_phone", "phone": PHONE}
            await tx.residents.save_states([row])
    async with sms_world(tmp_path, resend_after_seconds="0") as (world, fake):
        again = WebChatResident(world.http, world.base, session=resident.session, last_id=resident.last_id)
        told = await later(again)
        assert "не знает, ушло ли оно" in told
        await again.press(RESEND)
        code = (await eventually(lambda: fake.to(PHONE)))[0].code
        assert "подтверждён" in all_text(await again.send_text(code))


# -- one person, one vote, whatever the channel ----------------------------------------------------

@pytest.mark.parametrize("allow_change", [False, True])
async def test_one_person_votes_once_in_the_web_chat_and_in_telegram(tmp_path, allow_change):
    content = CONTENT
    if allow_change:
        content = tmp_path / "polls.yaml"
        content.write_text(CONTENT.read_text(encoding="utf-8").replace(
            "    require_phone: true\n", "    require_phone: true\n    allow_change: true\n"), encoding="utf-8")
    async with AsyncExitStack() as stack:
        world, fake = await stack.enter_async_context(sms_world(tmp_path, "telegram", content))
        http = await stack.enter_async_context(aiohttp.ClientSession())
        browser = WebChatResident(http, f"http://127.0.0.1:{world.app.port}")  # the web chat runs beside Telegram
        await onboard(browser)
        code = await ask_for_a_code(browser, fake)
        await browser.send_text(code)
        await browser.press("vote:by_phone:yes")
        messenger = world.resident(1)
        await onboard(messenger)
        asked = await messenger.send_text("/start poll-by_phone")
        assert "contact" in [r for m in asked for r in m.requests()]  # Telegram vouches itself: no SMS
        answer = await messenger.send_contact("8 (914) 123-45-67")
        if allow_change:
            assert "vote:by_phone:no" in last_buttons(answer)
            assert "изменён" in all_text(await messenger.press("vote:by_phone:no"))
            assert await ballots(world) == [(f"phone:{PHONE}", "telegram", "no")]
        else:
            assert "уже проголосовали" in all_text(answer) and "Да" in all_text(answer)
            assert await ballots(world) == [(f"phone:{PHONE}", "webchat", "yes")]
        assert len(fake.sent) == 1


async def test_whatsapp_counts_the_senders_own_number_without_an_sms(tmp_path):
    async with sms_world(tmp_path, "whatsapp") as (world, fake):
        resident = world.resident(1)
        await onboard(resident)
        ballot = await resident.send_text("/start poll-by_phone")
        assert "vote:by_phone:yes" in last_buttons(ballot)
        await resident.press("vote:by_phone:yes")
        assert await ballots(world) == [(f"phone:+{resident.wa_id}", "whatsapp", "yes")]
        assert fake.requests == 0


# -- no SMS gateway: where the number can be confirmed ---------------------------------------------

@pytest.mark.parametrize("channel, setting, link", [
    ("telegram", {"SOUCHASTIE_POSTERS_TELEGRAM_BOT": "park_bot"}, "https://t.me/park_bot?start=poll-by_phone"),
    ("max", {"SOUCHASTIE_POSTERS_MAX_BOT": "park_bot"}, "https://max.ru/park_bot?start=poll-by_phone"),
    ("whatsapp", {"SOUCHASTIE_POSTERS_WHATSAPP_NUMBER": "79140000000"},
     "https://wa.me/79140000000?text=%2Fstart%20poll-by_phone"),
])
async def test_without_an_sms_gateway_the_poll_names_the_channels_that_can_confirm_and_links_to_them(
        tmp_path, channel, setting, link):
    async with load_world(channel)(tmp_path, **setting) as world, aiohttp.ClientSession() as http:
        await load_content_into(world.app, CONTENT)
        browser = WebChatResident(http, f"http://127.0.0.1:{world.app.port}")  # the web chat runs beside it
        await onboard(browser)
        answer = await browser.send_text("/start poll-by_phone")
        text = all_text(answer)
        title = {"telegram": "Telegram", "max": "MAX", "whatsapp": "WhatsApp"}[channel]
        assert f"{title}: {link}" in text
        assert [other for other in ("Telegram", "MAX", "WhatsApp") if other in text] == [title]  # only what runs
        links = [b.get("url") for m in answer for row in m.buttons for b in row if b.get("url")]
        assert links == [link]
        menu = await browser.press("nav:menu")
        assert "menu:polls" in last_buttons(menu)


async def test_without_an_sms_gateway_or_another_channel_vk_says_so_and_leads_back_to_the_menu(tmp_path):
    async with load_world("vk")(tmp_path) as world:
        await load_content_into(world.app, CONTENT)
        resident = world.resident(1)
        await onboard(resident)
        answer = await resident.send_text("/start poll-by_phone")
        assert "других способов сейчас нет" in all_text(answer)
        assert last_buttons(answer) == ["nav:menu"]
        assert "menu:polls" in last_buttons(await resident.press("nav:menu"))
