"""VK at its real capacity: a step's replies as one message, many residents' calls in one
``execute`` request within 20 requests a second, each resident's failure their own, and nothing
sent twice across a restart."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import aiohttp
import pytest

from bot.core.channel import DeliveryError, Fitted, Outgoing
from bot.core.replies import Button, Media, Reply
from channels.vk import merge, parse, render
from channels.vk.execute import CallRefused, Waiting, outcomes
from channels.vk.names import display_name
from channels.vk.transport import VkClient
from tests import stored
from tests.drivers import eventually, load_content_into, test_settings, wait_handled
from tests.drivers.vk import vk_environment, world
from tests.fakes.vk import FakeVk, fixture
from tests.journey import all_text, last_buttons

POLLS = Path(__file__).parent / "fixtures" / "content" / "polls.yaml"


def database(tmp_path) -> stored.InFile:
    return stored.InFile(tmp_path / "souchastie.db")


async def client_for(tmp_path, fake: FakeVk, **environment: str) -> VkClient:
    await fake.start()
    return VkClient(test_settings(tmp_path, **vk_environment(fake, **environment)).vk)


def fitted(outgoing: list[Outgoing], support: parse.ClientSupport) -> list[Fitted]:
    """The replies as the core hands them to VK: each fitted to the resident's client."""
    return [Fitted.of(o.id, o.reply, render.capabilities(support)) for o in outgoing]


def send(peer: int, text: str, random_id: int) -> dict:
    return {"peer_id": peer, "message": text, "random_id": random_id}


# -- one message per step -------------------------------------------------------------------------

def test_consecutive_replies_become_one_message_with_the_keyboard_of_the_last():
    choose = ((Button(label="Да", payload="x:yes"), Button(label="Нет", payload="x:no")),)
    outgoing = [Outgoing(1, Reply(text="Спасибо, голос учтён.")),
                Outgoing(2, Reply(text="Схема парка", media=(Media(url="https://example.org/plan.jpg"),))),
                Outgoing(3, Reply(text="Что дальше?", buttons=choose)),
                Outgoing(4, Reply(text="Отдельно, после кнопок."))]
    sent = merge.messages(fitted(outgoing, parse.ClientSupport(inline=True)), parse.ClientSupport(inline=True))
    assert [m.text for m in sent] == ["Спасибо, голос учтён.\n\nСхема парка\nhttps://example.org/plan.jpg\n\n"
                                      "Что дальше?", "Отдельно, после кнопок."]
    assert json.loads(sent[0].keyboard)["inline"] and sent[1].keyboard is None
    # The same replies make the same messages, ids included: a repeat is dropped by VK.
    again = merge.messages(fitted(outgoing, parse.ClientSupport(inline=True)), parse.ClientSupport(inline=True))
    assert [m.random_id for m in again] == [m.random_id for m in sent]
    assert sent[1].random_id == render.random_id(4, 0)  # alone: the reply's own id
    # Another grouping of the same replies never reuses an id for other content.
    alone = merge.messages(fitted(outgoing[:1], parse.ClientSupport()), parse.ClientSupport())
    assert alone[0].random_id != sent[0].random_id


def test_replies_are_not_joined_beyond_vks_length_and_a_text_less_reply_adds_no_text():
    long = "Очень длинный абзац. " * 150  # 3,150 characters
    outgoing = [Outgoing(1, Reply(text=long)), Outgoing(2, Reply(text=long)),
                Outgoing(3, Reply(buttons=((Button(label="Меню", payload="nav:menu"),),)))]
    sent = merge.messages(fitted(outgoing, parse.ClientSupport(inline=True)), parse.ClientSupport(inline=True))
    assert [m.text for m in sent] == [long, long]
    assert sent[0].keyboard is None and sent[1].keyboard is not None
    assert all(len(m.text) <= render.TEXT_LIMIT for m in sent)


async def test_a_step_of_the_conversation_reaches_the_resident_as_one_message(tmp_path):
    async with world(tmp_path) as vk:
        resident = vk.resident(1)
        greeting = await resident.send_text("/start")
        replies = database(tmp_path).values("outbox", "payload", external_id=str(resident.user_id))
        assert len(replies) >= 2 and len(greeting) == 1
        assert all(json.loads(payload)["text"] in greeting[0].text for payload in replies)
        assert "consent:yes" in last_buttons(greeting)
        assert len(vk.fake.calls_of("messages.send")) == 1


# -- execute --------------------------------------------------------------------------------------

async def test_calls_waiting_together_leave_in_one_execute_of_at_most_25(tmp_path):
    fake = FakeVk()
    client = await client_for(tmp_path, fake)
    try:
        answers = await asyncio.gather(*(client.call("messages.send", **send(700 + n, f"Ответ {n}", 10 + n))
                                         for n in range(30)))
        assert len(set(answers)) == 30 and len(fake.sent) == 30
        executes = fake.calls_of("execute")
        assert len(executes) == 2 and len(fake.calls_of("messages.send")) == 30
        assert sorted(code.params["code"].count("API.messages.send(") for code in executes) == [5, 25]
    finally:
        client.close()
        await fake.stop()


async def test_one_residents_refusal_inside_an_execute_fails_only_their_call(tmp_path):
    fake = FakeVk()
    fake.block(702)
    client = await client_for(tmp_path, fake)
    try:
        answers = await asyncio.gather(*(client.call("messages.send", **send(700 + n, "Итоги голосования", 50 + n))
                                         for n in range(4)), return_exceptions=True)
        refused = answers[2]
        assert isinstance(refused, DeliveryError) and refused.permanent and "901" in str(refused)
        assert all(isinstance(a, int) for i, a in enumerate(answers) if i != 2)
        assert sorted(m["peer_id"] for m in fake.sent) == [700, 701, 703]
        assert len(fake.calls_of("execute")) == 1  # refused inside the execute, not retried
    finally:
        client.close()
        await fake.stop()


async def test_a_flood_refusal_of_one_call_is_retried_for_that_call_alone(tmp_path):
    fake = FakeVk()
    client = await client_for(tmp_path, fake)
    try:
        fake.fail("users.get", "flood")
        sent, names = await asyncio.gather(client.call("messages.send", **send(700, "Привет", 5)),
                                           client.call("users.get", user_ids="700"))
        assert isinstance(sent, int) and names[0]["id"] == 700
        assert len(fake.calls_of("messages.send")) == 1 and len(fake.calls_of("users.get")) == 2
    finally:
        client.close()
        await fake.stop()


@pytest.mark.parametrize("kind", ["rate", "5xx"])
async def test_a_refused_or_failed_execute_is_retried_and_each_message_arrives_once(tmp_path, kind):
    fake = FakeVk()
    client = await client_for(tmp_path, fake)
    try:
        fake.fail("execute", kind)
        answers = await asyncio.gather(*(client.call("messages.send", **send(700 + n, "Ответ", 9)) for n in range(3)))
        assert len(answers) == 3 and sorted(m["peer_id"] for m in fake.sent) == [700, 701, 702]
        assert len(fake.calls_of("execute")) == 2
    finally:
        client.close()
        await fake.stop()


async def test_an_execute_that_timed_out_is_repeated_and_vk_drops_the_repeats(tmp_path):
    fake = FakeVk(slow_seconds=1.5)
    client = await client_for(tmp_path, fake, SOUCHASTIE_VK_REQUEST_TIMEOUT_SECONDS="0.5")
    try:
        fake.fail("execute", "timeout")
        await asyncio.gather(*(client.call("messages.send", **send(700 + n, "Ответ", 77)) for n in range(3)))
        await eventually(lambda: len(fake.calls_of("execute", answered=True)) == len(fake.calls_of("execute")))
        assert len(fake.calls_of("messages.send")) == 6  # the slow execute ran too, late
        assert sorted(m["peer_id"] for m in fake.sent) == [700, 701, 702]
    finally:
        client.close()
        await fake.stop()


async def test_the_fake_runs_only_the_script_the_bot_writes():
    fake = FakeVk()
    await fake.start()
    try:
        async with aiohttp.ClientSession() as http:
            for code, expected in [("var a = API.users.get({}); return a;", 12),
                                   ("return [" + ",".join(['API.users.get({"user_ids":"1"})'] * 26) + "];", 13)]:
                async with http.post(fake.api_url + "/execute",
                                     data={"code": code, "access_token": fake.token, "v": "5.199"}) as answer:
                    assert (await answer.json())["error"]["error_code"] == expected
    finally:
        await fake.stop()


def test_an_execute_answer_gives_each_call_its_own_result_or_error():
    calls = [Waiting("messages.send", send(700 + n, "Итоги", 1), future=None) for n in range(3)]
    results = outcomes(calls, fixture("execute_response_with_errors_assembled.json"))
    assert results[0] == 1001 and results[2] == 1002
    assert isinstance(results[1], CallRefused) and results[1].code == 901 and results[1].method == "messages.send"
    whole = outcomes(calls, fixture("error_6_too_many_requests_assembled.json"))
    assert all(isinstance(r, CallRefused) and r.code == 6 for r in whole)
    short = outcomes(calls, {"response": [1001]})
    assert all(isinstance(r, DeliveryError) and r.unknown for r in short)


def test_users_get_items_become_display_names():
    users = fixture("users_get_response_assembled.json")["response"]
    assert [display_name(u) for u in users] == ["Анна Петрова", ""]


# -- the ceiling ----------------------------------------------------------------------------------

async def test_sixty_voters_at_once_stay_within_twenty_requests_a_second(tmp_path):
    fake = FakeVk(ceiling=20)
    async with world(tmp_path, fake=fake, SOUCHASTIE_VK_REQUESTS_PER_SECOND="20") as vk:
        await load_content_into(vk.app, POLLS)
        voters = [vk.resident(200 + n) for n in range(60)]

        async def vote(resident) -> None:
            await resident.send_text("/start poll-park_name")
            ballot = await resident.press("consent:yes")  # VK reports the language: not asked
            assert "vote:park_name:urguy" in last_buttons(ballot), all_text(ballot)
            thanks = await resident.press("vote:park_name:urguy")
            assert "голос учтён" in all_text(thanks)

        await asyncio.gather(*(vote(v) for v in voters))
        assert database(tmp_path).count("ballots") == 60
        assert fake.rate_limited == 0
        presses = len(fake.calls_of("messages.sendMessageEventAnswer"))
        sends = len(fake.calls_of("messages.send"))
        callback_presses = len([u for u in fake.updates if u["type"] == "message_event"])
        # one answer a press, one message a step: /start, consent (the ballot after it), the vote
        assert presses == callback_presses and sends == 3 * 60
        assert len(fake.calls_of("execute")) < (presses + sends) / 2  # calls went out together


# -- presses --------------------------------------------------------------------------------------

async def test_only_callback_presses_are_answered(tmp_path):
    async with world(tmp_path) as vk:
        modern, old = vk.resident(1), vk.resident(2, {"button_actions": ["text"], "keyboard": True})
        for resident in (modern, old):
            await resident.send_text("/start")
            await resident.press("consent:yes")
        answers = vk.fake.calls_of("messages.sendMessageEventAnswer")
        assert [a.params["user_id"] for a in answers] == [str(modern.user_id)]


# -- a restart ------------------------------------------------------------------------------------

async def test_a_joined_message_vk_took_before_a_restart_is_not_sent_again(tmp_path):
    """VK acted on the send, but the answer came too late: the replies stayed pending. After the
    restart they are handed over together again, as the same message, and VK drops it."""
    fake = FakeVk(slow_seconds=1.5)
    async with world(tmp_path, fake=fake, SOUCHASTIE_VK_REQUEST_TIMEOUT_SECONDS="0.5",
                     SOUCHASTIE_VK_SEND_ATTEMPTS="1") as vk:
        resident = vk.resident(1)
        fake.fail("messages.send", "timeout")
        update = resident.message_new("/start")
        fake.push(update)
        await eventually(lambda: fake.sent_to(resident.user_id), timeout=20)
        await eventually(lambda: database(tmp_path).count("inbox", processed_at=stored.SET) == 1)
        pending = database(tmp_path).count("outbox", status="pending")
        assert pending >= 2
    async with world(tmp_path, fake=fake) as vk:
        await eventually(lambda: database(tmp_path).count("outbox", status="pending") == 0, timeout=20)
        assert len(fake.sent_to(resident.user_id)) == 1
        assert len(fake.calls_of("messages.send")) == 2


# -- names ----------------------------------------------------------------------------------------

async def test_a_vk_resident_is_named_from_consent_on_and_forgotten_with_the_profile(tmp_path):
    from tests.test_forget import everywhere

    async with world(tmp_path) as vk:
        resident = vk.resident(1)
        vk.fake.names[resident.user_id] = ("Анна", "Кворблзнякс")
        await resident.send_text("/start")
        assert await everywhere(vk, "Кворблзнякс") == []  # nothing personal before consent
        await resident.press("consent:yes")
        assert database(tmp_path).values("residents", "display_name") == ["Анна Кворблзнякс"]
        shown = await resident.send_text("/privacy")
        assert "Имя: Анна Кворблзнякс" in all_text(shown)
        assert len(vk.fake.calls_of("users.get")) == 1  # later messages: the name is in memory

        await resident.send_text("/forget")
        await resident.press("priv:confirm")
        assert await everywhere(vk, "Кворблзнякс") == []


async def test_the_names_of_a_batchs_new_residents_are_asked_in_one_call(tmp_path):
    async with world(tmp_path) as vk:
        residents = [vk.resident(10 + n) for n in range(5)]
        vk.fake.deleted.add(residents[4].user_id)
        updates = [r.message_new("/start") for r in residents]
        for update in updates:
            vk.fake.push(update)  # no await between: one long-poll answer carries them all
        for update in updates:
            await wait_handled(vk.app, "vk", update["event_id"], timeout=30)
        [lookup] = vk.fake.calls_of("users.get")
        assert sorted(lookup.params["user_ids"].split(",")) == sorted(str(r.user_id) for r in residents)
        for resident in residents:
            await resident.press("consent:yes")
        names = dict(database(tmp_path).rows("residents", "external_id", "display_name"))
        for resident in residents[:4]:
            first, last = vk.fake.user_name(resident.user_id)
            assert names[str(resident.user_id)] == f"{first} {last}"
        assert names[str(residents[4].user_id)] == ""  # a deleted page has no name
        assert len(vk.fake.calls_of("users.get")) == 1


async def test_a_failed_name_look_up_holds_nothing_up_and_is_tried_again(tmp_path):
    async with world(tmp_path) as vk:
        resident = vk.resident(1)
        vk.fake.names[resident.user_id] = ("Пётр", "Сидоров")
        vk.fake.fail("users.get", "flood")
        greeting = await resident.send_text("/start")
        assert "consent:yes" in last_buttons(greeting)  # stored and answered without the name
        await resident.press("consent:yes")
        assert database(tmp_path).values("residents", "display_name") == ["Пётр Сидоров"]
        assert len(vk.fake.calls_of("users.get")) == 2
