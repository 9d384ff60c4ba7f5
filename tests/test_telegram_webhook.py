"""Telegram in webhook mode: the bot registers itself, and only Telegram's own requests count."""
from __future__ import annotations

import aiohttp
import pytest

from tests import stored
from tests.drivers import eventually, wait_handled
from tests.drivers.telegram import CHANNEL, world as telegram_world
from tests.journey import last_buttons, onboard
from tests.process import free_port

SECRET = "s3cret-Token_for-tests"


@pytest.fixture
async def world(tmp_path):
    port = free_port()
    async with telegram_world(tmp_path, SOUCHASTIE_TELEGRAM_MODE="webhook",
                              SOUCHASTIE_TELEGRAM_WEBHOOK_SECRET=SECRET,
                              SOUCHASTIE_SERVER_PORT=str(port),
                              SOUCHASTIE_SERVER_PUBLIC_URL=f"http://127.0.0.1:{port}") as running:
        await eventually(lambda: running.fake.webhook)
        yield running


async def post(world, body, headers: dict[str, str]) -> int:
    url = world.fake.webhook["url"]
    async with aiohttp.ClientSession() as http:
        kind = {"json": body} if not isinstance(body, (bytes, str)) else {"data": body}
        async with http.post(url, headers=headers, **kind) as response:
            return response.status


async def inbox_size(world) -> int:
    return await stored.count(world.app.db, "inbox")


async def test_the_bot_sets_its_webhook_with_the_secret_and_residents_are_served(world):
    registered = world.fake.webhook
    assert registered["url"] == f"{world.app.settings.server.public_url}/webhook/telegram"
    assert registered["secret_token"] == SECRET
    assert registered["allowed_updates"] == ["message", "callback_query", "my_chat_member"]
    menu = await onboard(world.resident(1), source="poster_5")
    assert "menu:propose" in last_buttons(menu)
    assert world.fake.webhook_answers and set(world.fake.webhook_answers) == {200}
    assert world.fake.calls_of("getUpdates") == []


@pytest.mark.parametrize("headers", [{}, {"X-Telegram-Bot-Api-Secret-Token": "guessed"},
                                     {"X-Telegram-Bot-Api-Secret-Token": SECRET + "x"}],
                         ids=["missing", "forged", "longer"])
async def test_a_request_without_the_right_secret_is_refused_and_nothing_is_stored(world, headers):
    resident = world.resident(2)
    update = {"update_id": world.fake.next_update_id(), **resident.message(text="/start")}
    assert await post(world, update, headers) == 403
    assert await inbox_size(world) == 0
    assert world.fake.calls_of("sendMessage") == []


async def test_telegram_retrying_a_webhook_update_gets_it_processed_once(world):
    resident = world.resident(3)
    update = {"update_id": world.fake.next_update_id(), **resident.message(text="/start")}
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    assert await post(world, update, headers) == 200
    await wait_handled(world.app, CHANNEL, str(update["update_id"]))
    first = resident.new_messages()
    assert await post(world, update, headers) == 200
    assert await inbox_size(world) == 1
    again = await resident.send_text("/start")
    assert len(again) == len(first)
