"""The VK driver: a resident is a VK user writing to the community, through the fake VK.

Updates are shaped as VK sends them (``message_new`` with ``client_info``, ``message_event``
for callback buttons) and reach the bot by the long poll (``fake.push``) or, in callback mode,
as Callback API POSTs to the bot. A press is played the way the resident's keyboard would send
it: a callback button becomes ``message_event``, a text button a ``message_new`` with payload.
"""
from __future__ import annotations

import itertools
import json
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator

import aiohttp

from bot.app import Application
from tests.drivers import BotMessage, RepliesFromFake, eventually, test_settings, wait_handled
from tests.fakes.vk import FakeVk

SECRET = "callback-secret-1"
CONFIRMATION = "confirmation_123456"
FIRST_USER = 500_000
MODERN_CLIENT = {"button_actions": ["text", "vkpay", "open_app", "location", "open_link", "callback"],
                 "keyboard": True, "inline_keyboard": True, "carousel": True, "lang_id": 0}
OLD_CLIENT = {"button_actions": ["text", "vkpay", "open_app", "location"], "keyboard": True, "lang_id": 0}

_message_ids = itertools.count(1)


def to_bot_message(sent: dict[str, Any]) -> BotMessage:
    rows = (sent.get("keyboard") or {}).get("buttons", [])
    buttons = []
    for row in rows:
        shown = []
        for button in row:
            action = button["action"]
            if action["type"] == "location":
                shown.append({"label": "location", "request": "location"})
            elif action["type"] == "open_link":
                shown.append({"label": action["label"], "url": action["link"]})
            else:
                shown.append({"label": action["label"], "payload": json.loads(action["payload"])["p"],
                              "type": action["type"]})
        buttons.append(shown)
    return BotMessage(sent["message"], buttons)


@dataclass
class VkResident(RepliesFromFake):
    world: "VkWorld"
    user_id: int
    client_info: dict[str, Any] = field(default_factory=lambda: dict(MODERN_CLIENT))
    seen: int = 0

    # -- updates as VK shapes them ---------------------------------------------------------------

    def update(self, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
        return {"group_id": self.world.fake.group_id, "type": kind, "event_id": uuid.uuid4().hex,
                "v": "5.199", "object": obj}

    def message_new(self, text: str = "", **fields: Any) -> dict[str, Any]:
        number = next(_message_ids)
        message = {"date": 1764000000, "from_id": self.user_id, "id": number, "out": 0, "peer_id": self.user_id,
                   "text": text, "conversation_message_id": number, "fwd_messages": [], "important": False,
                   "random_id": 0, "attachments": [], "is_hidden": False, **fields}
        return self.update("message_new", {"message": message, "client_info": self.client_info})

    def message_event(self, payload: str) -> dict[str, Any]:
        return self.update("message_event", {"user_id": self.user_id, "peer_id": self.user_id,
                                             "event_id": uuid.uuid4().hex[:10], "payload": {"p": payload},
                                             "conversation_message_id": next(_message_ids)})

    # -- the Resident interface -------------------------------------------------------------------

    async def send(self, update: dict[str, Any]) -> list[BotMessage]:
        await self.world.send(update)
        await wait_handled(self.world.app, "vk", update["event_id"], timeout=30)
        return self.new_messages()

    def new_messages(self) -> list[BotMessage]:
        sent = self.world.fake.sent_to(self.user_id)
        fresh, self.seen = sent[self.seen:], len(sent)
        return [to_bot_message(m) for m in fresh]

    async def send_text(self, text: str) -> list[BotMessage]:
        return await self.send(self.message_new(text))

    async def press(self, payload: str) -> list[BotMessage]:
        for sent in reversed(self.world.fake.sent_to(self.user_id)):
            for button in (b for row in to_bot_message(sent).buttons for b in row):
                if button.get("payload") == payload:
                    if button["type"] == "callback":
                        return await self.send(self.message_event(payload))
                    return await self.send(self.message_new(button["label"], payload=json.dumps({"p": payload})))
        # Not on any keyboard we were shown: a forged press, sent the way this client would.
        if "callback" in self.client_info.get("button_actions", []):
            return await self.send(self.message_event(payload))
        return await self.send(self.message_new(payload, payload=json.dumps({"p": payload})))

    async def send_location(self, latitude: float, longitude: float) -> list[BotMessage]:
        geo = {"type": "point", "coordinates": {"latitude": latitude, "longitude": longitude}}
        return await self.send(self.message_new("", geo=geo))

    async def send_photo(self, data: bytes) -> list[BotMessage]:
        return await self.send(self.photo_message(data))

    def photo_message(self, data: bytes) -> dict[str, Any]:
        """Three sizes as VK gives them; only the largest holds the photo, the others a thumbnail
        that is not an image, so taking the wrong one shows."""
        fake = self.world.fake
        thumb = fake.put_photo(b"thumbnail, not the photo")
        sizes = [{"height": 56, "type": "s", "width": 75, "url": thumb},
                 {"height": 959, "type": "z", "width": 1280, "url": fake.put_photo(data)},
                 {"height": 453, "type": "x", "width": 604, "url": thumb}]
        photo = {"album_id": -3, "date": 1764000000, "id": next(_message_ids), "owner_id": self.user_id,
                 "access_key": "abc", "sizes": sizes, "text": "", "has_tags": False}
        return self.message_new("", attachments=[{"type": "photo", "photo": photo}])


@dataclass
class VkWorld:
    app: Application
    fake: FakeVk
    http: aiohttp.ClientSession
    mode: str

    @property
    def callback_url(self) -> str:
        return f"http://127.0.0.1:{self.app.port}{self.app.settings.vk.callback_path}"

    def resident(self, number: int = 0, client_info: dict[str, Any] | None = None) -> VkResident:
        return VkResident(self, FIRST_USER + number, dict(client_info or MODERN_CLIENT))

    async def send(self, update: dict[str, Any]) -> None:
        if self.mode == "longpoll":
            self.fake.push(update)
            return
        status, text = await self.post_callback({**update, "secret": SECRET})
        assert (status, text) == (200, "ok"), (status, text)

    async def post_callback(self, body: Any, headers: dict[str, str] | None = None) -> tuple[int, str]:
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        async with self.http.post(self.callback_url, data=data, headers=headers or {}) as response:
            return response.status, await response.text()


def vk_environment(fake: FakeVk, mode: str = "longpoll", **environment: str) -> dict[str, str]:
    return {"SOUCHASTIE_VK_TOKEN": fake.token, "SOUCHASTIE_VK_API_URL": fake.api_url,
            "SOUCHASTIE_VK_GROUP_ID": str(fake.group_id), "SOUCHASTIE_VK_MODE": mode,
            "SOUCHASTIE_VK_WAIT_SECONDS": "5", "SOUCHASTIE_VK_REQUEST_TIMEOUT_SECONDS": "5",
            "SOUCHASTIE_VK_REQUESTS_PER_SECOND": "1000", "SOUCHASTIE_VK_RETRY_BACKOFF_SECONDS": "0.05",
            "SOUCHASTIE_VK_CALLBACK_SECRET": SECRET, "SOUCHASTIE_VK_CONFIRMATION_CODE": CONFIRMATION,
            **environment}


@asynccontextmanager
async def world(tmp_path: Path, mode: str = "longpoll", fake: FakeVk | None = None,
                **environment: str) -> AsyncIterator[VkWorld]:
    fake = fake or FakeVk()
    await fake.start()
    app = Application(test_settings(tmp_path, **vk_environment(fake, mode, **environment)))
    try:
        await app.start()
        if mode == "longpoll":  # VK gives updates only from the ts of getLongPollServer on
            await eventually(lambda: fake.requested_ts, timeout=30)
        async with aiohttp.ClientSession() as http:
            yield VkWorld(app, fake, http, mode)
    finally:
        await app.stop()
        await fake.stop()
