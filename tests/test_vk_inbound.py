"""What residents do in VK reaches the bot as they meant it (documented payload shapes)."""
from __future__ import annotations

import json

import pytest

from bot.core.events import Kind
from channels.vk import parse
from tests import stored
from tests.drivers import eventually
from tests.drivers.vk import OLD_CLIENT, world
from tests.fakes.vk import fixture
from tests.journey import JPEG, all_text, last_buttons, onboard, same_picture

pytestmark = pytest.mark.both_engines  # a journey: on SQLite and on PostgreSQL (tests/conftest.py)


@pytest.fixture
async def vk(tmp_path):
    async with world(tmp_path) as running:
        yield running


def database(tmp_path) -> stored.InFile:
    return stored.InFile(tmp_path / "souchastie.db")


# -- the documented shapes, mapped ----------------------------------------------------------------

def test_each_documented_update_becomes_the_event_the_resident_meant():
    text = parse.to_event(fixture("message_new_text.json"))
    assert (text.kind, text.text, text.ref.external_id) == (Kind.TEXT, "f", "123456789")
    assert text.update_id == "123456789:message_new:985:123456789"

    start = parse.to_event(fixture("message_new_button_payload_assembled.json"))
    assert (start.kind, start.command, start.argument) == (Kind.COMMAND, "start", "")

    photo = parse.to_event(fixture("message_new_photo_assembled.json"))
    assert photo.kind is Kind.PHOTOS and len(photo.photos) == 1
    assert photo.photos[0].remote_id == "https://sun9-24.userapi.com"  # the 1280×959 "z" size

    geo = parse.to_event(fixture("message_new_geo_assembled.json"))
    assert geo.kind is Kind.LOCATION
    assert (geo.location.latitude, geo.location.longitude) == (59.939095, 30.315868)

    press = parse.to_event(fixture("message_event.json"))  # not our payload: nothing to press
    assert (press.kind, press.ref.external_id) == (Kind.UNSUPPORTED, "123456789")
    ours = fixture("message_event.json")
    ours["object"]["payload"] = {"p": "menu:propose"}
    assert parse.to_event(ours).payload == "menu:propose"
    ours["object"]["payload"] = json.dumps({"p": "menu:mine"})  # the schema says: a string
    assert parse.to_event(ours).payload == "menu:mine"

    allow, deny = parse.to_event(fixture("message_allow.json")), parse.to_event(fixture("message_deny.json"))
    assert (allow.kind, allow.reachable) == (Kind.REACHABILITY, True)
    assert (deny.kind, deny.reachable) == (Kind.REACHABILITY, False)
    assert allow.update_id != deny.update_id

    batch = fixture("longpoll_response_message_new_text.json")["updates"]
    assert parse.to_event(batch[0]) is None  # a wall post: no resident did anything
    assert parse.client_support(batch[1]) == ("1", parse.ClientSupport(keyboard=True, inline=True))
    assert parse.client_support(fixture("message_new_text.json"))[1].inline is False


def test_a_link_with_ref_is_a_start_with_its_source_and_chats_are_ignored():
    update = fixture("message_new_button_payload_assembled.json")
    update["object"]["message"].update(ref="poster_12", ref_source="qr")
    event = parse.to_event(update)
    assert (event.kind, event.command, event.argument) == (Kind.COMMAND, "start", "poster_12")
    update["object"]["message"].update(peer_id=2_000_000_001)
    assert parse.to_event(update) is None


def test_the_update_id_is_the_same_when_vk_delivers_it_again():
    update = fixture("message_new_text.json")
    assert parse.update_id(update) == parse.update_id(json.loads(json.dumps(update)))
    assert parse.update_id({**update, "event_id": "abc123"}) == "abc123"


# -- over the wire --------------------------------------------------------------------------------

async def test_a_long_poll_batch_with_a_wall_post_answers_only_the_message(vk, tmp_path):
    for update in fixture("longpoll_response_message_new_text.json")["updates"]:
        vk.fake.push(update)
    await eventually(lambda: vk.fake.sent_to(1), timeout=20)
    assert database(tmp_path).values("inbox", "update_id", channel="vk") == [":message_new:100:1"]


async def test_the_start_button_of_a_new_dialogue_greets_and_asks_for_consent(vk):
    vk.fake.push(fixture("message_new_button_payload_assembled.json"))
    sent = await eventually(lambda: [m for m in vk.fake.sent_to(123456789) if m["keyboard"]], timeout=20)
    payloads = [json.loads(b["action"]["payload"])["p"] for row in sent[-1]["keyboard"]["buttons"] for b in row]
    assert "consent:yes" in payloads


async def test_a_resident_from_a_poster_link_has_the_poster_recorded(vk, tmp_path):
    resident = vk.resident(7)
    greeting = await resident.send(resident.message_new("Начать", ref="poster_31", ref_source="entrance"))
    assert "consent:yes" in last_buttons(greeting)
    assert database(tmp_path).values("residents", "first_source", external_id=str(resident.user_id)) == ["poster_31"]


async def test_pressing_an_inline_button_stops_its_spinner_and_moves_on(vk):
    resident = vk.resident(1)
    await resident.send_text("/start")
    consented = await resident.press("consent:yes")  # a callback: no client_info, no lang_id on it
    assert "menu:propose" in last_buttons(consented)  # the language came with /start
    answers = vk.fake.calls_of("messages.sendMessageEventAnswer")
    assert [(a.params["user_id"], a.params["peer_id"]) for a in answers] == [(str(resident.user_id),) * 2]


async def test_a_photo_is_kept_in_its_largest_size(vk, tmp_path):
    resident = vk.resident(2)
    await onboard(resident)
    await resident.press("menu:propose")
    await resident.send_text("Сломана скамейка у фонтана, торчат гвозди")
    added = await resident.send_photo(JPEG)
    assert "1" in all_text(added)
    stored = [p.read_bytes() for p in (tmp_path / "attachments").rglob("*") if p.is_file()]
    assert len(stored) == 1 and same_picture(stored[0], JPEG)


async def test_a_resident_on_an_old_client_uses_normal_keyboards_all_the_way(vk):
    resident = vk.resident(3, client_info=OLD_CLIENT)
    await onboard(resident)
    keyboards = [m["keyboard"] for m in vk.fake.sent_to(resident.user_id) if m["keyboard"]]
    assert keyboards and not any(k["inline"] for k in keyboards)
    assert {b["action"]["type"] for k in keyboards for row in k["buttons"] for b in row} == {"text"}
    assert not vk.fake.calls_of("messages.sendMessageEventAnswer")


async def test_blocking_and_unblocking_the_community_is_noted(vk, tmp_path):
    resident = vk.resident(4)
    await onboard(resident)
    deny = fixture("message_deny.json")
    deny.update(event_id="deny-1", group_id=vk.fake.group_id)
    deny["object"]["user_id"] = resident.user_id
    await resident.send(deny)
    assert database(tmp_path).values("residents", "reachable", external_id=str(resident.user_id)) == [0]
    allow = fixture("message_allow.json")
    allow.update(event_id="allow-1", group_id=vk.fake.group_id)
    allow["object"]["user_id"] = resident.user_id
    await resident.send(allow)
    assert database(tmp_path).values("residents", "reachable", external_id=str(resident.user_id)) == [1]


async def test_a_bot_set_up_without_the_community_id_finds_it_from_its_token(tmp_path):
    async with world(tmp_path, SOUCHASTIE_VK_GROUP_ID="0") as vk:
        greeting = await vk.resident(9).send_text("/start")
        assert "consent:yes" in last_buttons(greeting)
        assert len(vk.fake.calls_of("groups.getById")) == 1


async def test_an_update_the_long_poll_cannot_read_is_kept_as_a_dead_letter_and_polling_goes_on(vk, tmp_path):
    resident = vk.resident(40)
    broken = resident.message_new("Привет")
    broken["object"]["message"]["attachments"] = 5  # not the list VK documents
    vk.fake.push(broken)
    greeting = await resident.send_text("/start")
    assert "consent:yes" in last_buttons(greeting)
    [(payload, error)] = database(tmp_path).rows("inbox", "payload", "error", dead_at=stored.SET)
    assert json.loads(payload)["event_id"] == broken["event_id"] and "TypeError" in error
