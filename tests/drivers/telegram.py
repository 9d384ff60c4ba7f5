"""The Telegram driver: a resident is a Telegram user whose updates the fake Bot API serves.

The bot runs with the real aiogram client pointed at ``tests.fakes.telegram``; a resident's
action becomes an update shaped like the recorded fixtures, pushed into the fake (by
``getUpdates`` or, when the bot set a webhook, by POST), and what the bot sent to the
resident's chat since the last action is read back from the fake's record.
"""
from __future__ import annotations

import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator

from bot.app import Application
from tests.drivers import BotMessage, RepliesFromFake, test_settings, wait_handled
from tests.fakes.telegram import FakeTelegram

CHANNEL = "telegram"
FIRST_USER_ID = 408_250_000
# The photo's small preview is not an image at all: a bot that downloads it instead of the
# largest size fails the photo step.
THUMBNAIL = b"not the photo, only its preview"


def as_bot_message(sent: dict[str, Any]) -> BotMessage:
    markup = sent.get("reply_markup") or {}
    rows: list[list[dict[str, Any]]] = []
    for row in markup.get("inline_keyboard", []):
        rows.append([{"label": b["text"], **({"payload": b["callback_data"]} if "callback_data" in b else {}),
                      **({"url": b["url"]} if "url" in b else {})} for b in row])
    for row in markup.get("keyboard", []):
        rows.append([{"label": b["text"],
                      **({"request": "location"} if b.get("request_location") else {}),
                      **({"request": "contact"} if b.get("request_contact") else {})} for b in row])
    return BotMessage(sent.get("text", sent.get("caption", "")), rows)


@dataclass
class TelegramResident(RepliesFromFake):
    world: "TelegramWorld"
    user_id: int
    first_name: str
    language_code: str = "ru"
    seen: int = 0

    @property
    def chat_id(self) -> int:
        return self.user_id

    @property
    def user(self) -> dict[str, Any]:
        return {"id": self.user_id, "is_bot": False, "first_name": self.first_name,
                "language_code": self.language_code}

    def message(self, **content: Any) -> dict[str, Any]:
        chat = {"id": self.chat_id, "first_name": self.first_name, "type": "private"}
        return {"message": {"message_id": int(time.monotonic_ns() % 10**9), "from": self.user, "chat": chat,
                            "date": int(time.time()), **content}}

    async def push(self, update: dict[str, Any]) -> int:
        """Push an update without waiting for the bot; returns its update_id."""
        return await self.world.fake.push(update)

    async def act(self, update: dict[str, Any]) -> list[BotMessage]:
        update_id = await self.push(update)
        await wait_handled(self.world.app, CHANNEL, str(update_id))
        return self.new_messages()

    def new_messages(self) -> list[BotMessage]:
        sent = self.world.fake.sent_to(self.chat_id)
        fresh, self.seen = sent[self.seen:], len(sent)
        return [as_bot_message(m) for m in fresh]

    async def send_text(self, text: str) -> list[BotMessage]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(" ", 1)[0]
            content["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
        return await self.act(self.message(**content))

    async def press(self, payload: str) -> list[BotMessage]:
        on = next((m for m in reversed(self.world.fake.sent_to(self.chat_id))
                   if payload in as_bot_message(m).payloads), None)
        query: dict[str, Any] = {"id": f"{self.user_id}{time.monotonic_ns() % 10**6}", "from": self.user,
                                 "chat_instance": str(self.chat_id * 7), "data": payload}
        if on is not None:
            query["message"] = {"message_id": on["message_id"], "date": int(time.time()),
                                "text": on.get("text", ""), "chat": {"id": self.chat_id, "type": "private"}}
        return await self.act({"callback_query": query})

    async def send_location(self, latitude: float, longitude: float) -> list[BotMessage]:
        return await self.act(self.message(location={"latitude": latitude, "longitude": longitude}))

    async def send_contact(self, phone: str, own: bool = True) -> list[BotMessage]:
        contact = {"phone_number": phone, "first_name": self.first_name, "user_id": self.user_id if own else 1}
        return await self.act(self.message(contact=contact))

    async def send_photo(self, data: bytes) -> list[BotMessage]:
        fake = self.world.fake
        small = fake.add_file(THUMBNAIL, f"photos/file_{len(fake.files)}.jpg")
        large = fake.add_file(data, f"photos/file_{len(fake.files)}.jpg")
        sizes = [{"file_id": small, "file_unique_id": small[-8:], "file_size": len(THUMBNAIL),
                  "width": 90, "height": 68},
                 {"file_id": large, "file_unique_id": large[-8:], "file_size": len(data),
                  "width": 1280, "height": 960}]
        return await self.act(self.message(photo=sizes))


@dataclass
class TelegramWorld:
    app: Application
    fake: FakeTelegram

    def resident(self, number: int = 0) -> TelegramResident:
        return TelegramResident(self, FIRST_USER_ID + number, f"Житель {number}")


def bot_environment(fake: FakeTelegram, **environment: str) -> dict[str, str]:
    """The settings that point the bot's Telegram channel at the fake, with quick retries."""
    return {"SOUCHASTIE_TELEGRAM_TOKEN": fake.token, "SOUCHASTIE_TELEGRAM_API_URL": fake.url,
            "SOUCHASTIE_TELEGRAM_RETRY_BACKOFF_SECONDS": "0.05",
            "SOUCHASTIE_TELEGRAM_REQUEST_TIMEOUT_SECONDS": "5", **environment}


@asynccontextmanager
async def world(tmp_path: Path, fake: FakeTelegram | None = None,
                **environment: str) -> AsyncIterator[TelegramWorld]:
    """The bot and a fake Telegram; pass ``fake`` to keep one fake across a restart of the bot."""
    own = fake is None
    if fake is None:
        fake = await FakeTelegram().start()
    try:
        app = Application(test_settings(tmp_path, **bot_environment(fake, **environment)))
        await app.start()
        try:
            yield TelegramWorld(app, fake)
        finally:
            await app.stop()
    finally:
        if own:
            await fake.close()
