"""The MAX driver: a resident is a MAX user whose updates the fake MAX offers to the bot.

Each action pushes an update shaped like the fixtures into ``FakeMax``, waits until the bot
has stored, processed and delivered it, and returns what the fake received for this user
since the last action. "/start <source>" is the Start button of a deep link (``bot_started``
with ``payload``), as MAX sends it; other text is a ``message_created`` in the dialog.
"""
from __future__ import annotations

import itertools
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator

from bot.app import Application
from channels.max.parse import parse
from tests.drivers import BotMessage, RepliesFromFake, test_settings, wait_handled
from tests.fakes.max import FakeMax

REQUESTS = {"request_geo_location": "location", "request_contact": "contact"}
_clock = itertools.count(int(time.time() * 1000))


def now_ms() -> int:
    return next(_clock)


def bot_message(sent: dict[str, Any]) -> BotMessage:
    rows = []
    for attachment in sent["attachments"]:
        if attachment.get("type") == "inline_keyboard":
            rows.extend([_button(b) for b in row] for row in attachment["payload"]["buttons"])
    return BotMessage(sent["text"], rows)


def _button(button: dict[str, Any]) -> dict[str, Any]:
    shown = {"label": button["text"]}
    if button["type"] == "callback":
        shown["payload"] = button["payload"]
    elif button["type"] == "link":
        shown["url"] = button["url"]
    elif button["type"] in REQUESTS:
        shown["request"] = REQUESTS[button["type"]]
    return shown


@dataclass
class MaxResident(RepliesFromFake):
    world: "MaxWorld"
    user_id: int
    name: str
    seen: int = 0

    @property
    def user(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "first_name": self.name, "last_name": "", "is_bot": False,
                "last_activity_time": now_ms(), "name": self.name}

    # -- updates as MAX shapes them ----------------------------------------------------------

    def started(self, payload: str = "") -> dict[str, Any]:
        update = {"timestamp": now_ms(), "chat_id": self.user_id + 1_000_000, "user": self.user,
                  "user_locale": "ru", "user_id": self.user_id, "update_type": "bot_started"}
        if payload:
            update["payload"] = payload
        return update

    def stopped(self) -> dict[str, Any]:
        return {"chat_id": self.user_id + 1_000_000, "user": self.user, "timestamp": now_ms(),
                "user_locale": "ru", "update_type": "bot_stopped"}

    def message(self, text: str = "", attachments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"mid": f"mid.{uuid.uuid4().hex}", "seq": now_ms(), "text": text}
        if attachments:
            body["attachments"] = attachments
        stamp = now_ms()
        return {"timestamp": stamp, "message": {
            "recipient": {"chat_id": self.user_id + 1_000_000, "chat_type": "dialog",
                          "user_id": self.world.fake.bot_user_id},
            "timestamp": stamp, "body": body, "sender": self.user},
            "user_locale": "ru", "update_type": "message_created"}

    def callback(self, payload: str) -> dict[str, Any]:
        stamp = now_ms()
        return {"callback": {"timestamp": stamp, "callback_id": uuid.uuid4().hex, "user": self.user,
                             "payload": payload},
                "message": None, "timestamp": stamp, "user_locale": "ru", "update_type": "message_callback"}

    # -- the Resident interface --------------------------------------------------------------

    async def deliver(self, update: dict[str, Any]) -> list[BotMessage]:
        """Push one update (or post it, when the bot takes webhooks) and return the bot's replies."""
        update_id = parse(update)[-1].update_id
        if self.world.app.settings.max.mode == "webhook":
            assert await self.world.fake.post_webhook(update) == 200
        else:
            self.world.fake.push(update)
        await wait_handled(self.world.app, "max", update_id, timeout=20)
        return self.new_messages()

    def new_messages(self) -> list[BotMessage]:
        sent = self.world.fake.sent_to(self.user_id)
        fresh, self.seen = sent[self.seen:], len(sent)
        return [bot_message(m) for m in fresh]

    async def send_text(self, text: str) -> list[BotMessage]:
        head, _, argument = text.strip().partition(" ")
        if head == "/start":
            return await self.deliver(self.started(argument.strip()))
        return await self.deliver(self.message(text))

    async def press(self, payload: str) -> list[BotMessage]:
        return await self.deliver(self.callback(payload))

    async def send_location(self, latitude: float, longitude: float) -> list[BotMessage]:
        return await self.deliver(self.message(attachments=[
            {"type": "location", "latitude": latitude, "longitude": longitude}]))

    async def send_photo(self, data: bytes) -> list[BotMessage]:
        url = self.world.fake.image_url(data)
        return await self.deliver(self.message(attachments=[
            {"type": "image", "payload": {"photo_id": now_ms(), "token": uuid.uuid4().hex, "url": url}}]))

    async def send_contact(self, phone: str, own: bool = True) -> list[BotMessage]:
        owner = self.user if own else {**self.user, "user_id": self.user_id + 7}
        vcf = f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{self.name}\r\nTEL;TYPE=cell:{phone}\r\nEND:VCARD"
        return await self.deliver(self.message(attachments=[
            {"type": "contact", "payload": {"vcf_info": vcf, "max_info": owner}}]))


@dataclass
class MaxWorld:
    app: Application
    fake: FakeMax
    residents: dict[int, MaxResident] = field(default_factory=dict)

    def resident(self, number: int = 0) -> MaxResident:
        if number not in self.residents:
            self.residents[number] = MaxResident(self, 5_000_000 + number, f"Житель{number}")
        return self.residents[number]


def max_environment(fake: FakeMax, **environment: str) -> dict[str, str]:
    """Settings that point the bot at the fake, with pauses short enough for tests."""
    return {"SOUCHASTIE_MAX_TOKEN": fake.token, "SOUCHASTIE_MAX_API_URL": fake.url,
            "SOUCHASTIE_MAX_POLL_TIMEOUT_SECONDS": "1", "SOUCHASTIE_MAX_REQUEST_TIMEOUT_SECONDS": "5",
            "SOUCHASTIE_MAX_RETRY_BASE_SECONDS": "0.05", "SOUCHASTIE_MAX_RETRY_MAX_SECONDS": "0.5",
            "SOUCHASTIE_MAX_ATTACHMENT_RETRY_SECONDS": "0.05", "SOUCHASTIE_MAX_REQUESTS_PER_SECOND": "1000",
            "SOUCHASTIE_MAX_POLLS_PER_SECOND": "1000",
            **environment}


@asynccontextmanager
async def world(tmp_path: Path, fake: FakeMax | None = None, **environment: str) -> AsyncIterator[MaxWorld]:
    fake = fake or FakeMax()
    await fake.start()
    try:
        app = Application(test_settings(tmp_path, **max_environment(fake, **environment)))
        await app.start()
        try:
            yield MaxWorld(app, fake)
        finally:
            await app.stop()
    finally:
        await fake.stop()
