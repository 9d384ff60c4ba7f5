"""The Callback API: VK confirms the server, only VK's signed events are stored, retries count once."""
from __future__ import annotations

import pytest

from bot.config import ConfigError, check_runnable
from tests import stored
from tests.drivers import eventually, test_settings, wait_handled
from tests.drivers.vk import CONFIRMATION, SECRET, world
from tests.fakes.vk import fixture
from tests.journey import last_buttons, onboard, propose


@pytest.fixture
async def vk(tmp_path):
    async with world(tmp_path, mode="callback") as running:
        yield running


def inbox(tmp_path) -> list[tuple]:
    found = stored.InFile(tmp_path / "souchastie.db").rows("inbox", "update_id", "processed_at", channel="vk")
    return [(update_id, processed_at is not None) for update_id, processed_at in found]


async def test_vk_confirms_the_server_with_the_code_it_showed_the_operator(vk):
    body = {**fixture("confirmation.json"), "group_id": vk.fake.group_id, "secret": SECRET}
    assert await vk.post_callback(body) == (200, CONFIRMATION)


async def test_a_resident_proposes_over_the_callback_api(vk):
    resident = vk.resident(1)
    await onboard(resident, source="poster_3")
    assert (await propose(resident)).startswith("П-")
    assert not vk.fake.requested_ts  # no long poll in callback mode


@pytest.mark.parametrize("secret", ["wrong-secret", None, 12345])
async def test_an_event_without_vks_secret_is_refused_and_not_stored(vk, tmp_path, secret):
    body = fixture("message_new_text.json")
    body["group_id"] = vk.fake.group_id
    if secret is not None:
        body["secret"] = secret
    assert (await vk.post_callback(body))[0] == 403
    confirmation = {**fixture("confirmation.json"), "group_id": vk.fake.group_id}
    assert (await vk.post_callback(confirmation))[0] == 403
    assert inbox(tmp_path) == [] and vk.fake.sent == []


async def test_an_event_for_another_community_is_refused(vk, tmp_path):
    body = {**fixture("message_new_text.json"), "secret": SECRET}  # group_id 123456789, not ours
    assert (await vk.post_callback(body))[0] == 403
    assert inbox(tmp_path) == []


# A body that shows the right secret but is no event is a dead letter: tests/test_webhook_bodies.py
@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"group_id": 777, "type": "message_new"}',
                                  "\u043f\u0440\u0438\u0432\u0435\u0442".encode("cp1251")])
async def test_a_body_that_cannot_show_vks_secret_gets_a_client_error(vk, tmp_path, body):
    status, _ = await vk.post_callback(body)
    assert 400 <= status < 500
    assert inbox(tmp_path) == []


@pytest.mark.parametrize("with_event_id", [True, False])
async def test_an_event_vk_retries_is_processed_once(vk, tmp_path, with_event_id):
    resident = vk.resident(2)
    update = resident.message_new("/start")
    if not with_event_id:
        del update["event_id"]
    body = {**update, "secret": SECRET}
    assert await vk.post_callback(body) == (200, "ok")
    for retry in ("1", "2"):
        assert await vk.post_callback(body, headers={"X-Retry-Counter": retry}) == (200, "ok")
    stored = inbox(tmp_path)
    assert len(stored) == 1
    await wait_handled(vk.app, "vk", stored[0][0])
    greeting = resident.new_messages()
    assert "consent:yes" in last_buttons(greeting)
    assert len([m for m in greeting if m.buttons]) == 1


async def test_a_callback_press_is_answered_so_the_button_stops_spinning(vk):
    resident = vk.resident(3)
    await resident.send_text("/start")
    await resident.press("consent:yes")
    await eventually(lambda: vk.fake.calls_of("messages.sendMessageEventAnswer", answered=True))


def test_callback_mode_without_a_secret_refuses_to_start(tmp_path):
    with pytest.raises(ConfigError, match="SOUCHASTIE_VK_CALLBACK_SECRET"):
        check_runnable(test_settings(tmp_path, SOUCHASTIE_VK_TOKEN="t", SOUCHASTIE_VK_MODE="callback",
                                     SOUCHASTIE_VK_CONFIRMATION_CODE="abc"))
