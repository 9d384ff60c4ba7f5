"""The WhatsApp driver: a resident is a WhatsApp number whose messages Meta posts to the webhook.

The bot runs with its Graph API client pointed at ``tests.fakes.whatsapp``; a resident's action
becomes a webhook body shaped like the recorded fixtures, signed and POSTed to the bot by the
fake (as Meta does), and what the bot sent to the resident's number since the last action is
read back from the fake's record.
"""
from __future__ import annotations

import base64
import itertools
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator

from bot.app import Application
from tests.drivers import BotMessage, RepliesFromFake, test_settings, wait_handled
from tests.fakes.whatsapp import DISPLAY_NUMBER, PHONE_NUMBER_ID, FakeGraph

CHANNEL = "whatsapp"
FIRST_NUMBER = 79_140_000_001
_wamids = itertools.count(1)


def as_bot_message(sent: dict[str, Any]) -> BotMessage:
    kind = sent.get("type")
    if kind == "text":
        return BotMessage(sent["text"]["body"])
    if kind == "interactive":
        interactive = sent["interactive"]
        body = interactive.get("body", {}).get("text", "")
        action = interactive.get("action", {})
        match interactive.get("type"):
            case "button":
                return BotMessage(body, [[{"label": b["reply"]["title"], "payload": b["reply"]["id"]}
                                          for b in action["buttons"]]])
            case "list":
                return BotMessage(body, [[{"label": r["title"], "payload": r["id"]}]
                                         for section in action["sections"] for r in section["rows"]])
            case "location_request_message":
                return BotMessage(body, [[{"label": body, "request": "location"}]])
        return BotMessage(body)
    if kind == "template":
        parameters = [p["text"] for c in sent["template"].get("components", []) for p in c.get("parameters", [])]
        return BotMessage(" ".join(parameters))
    content = sent.get(kind, {}) if isinstance(kind, str) else {}
    return BotMessage(content.get("caption", "") if isinstance(content, dict) else "")


def webhook_body(messages: list[dict[str, Any]] = (), statuses: list[dict[str, Any]] = (),
                 contacts: list[dict[str, Any]] = ()) -> dict[str, Any]:
    value: dict[str, Any] = {"messaging_product": "whatsapp",
                             "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": PHONE_NUMBER_ID}}
    if contacts:
        value["contacts"] = list(contacts)
    if messages:
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "1234567890987654321", "changes": [{"value": value, "field": "messages"}]}]}


def wamid(wa_id: str) -> str:
    """A message id shaped like WhatsApp's: base64 of a small record that holds the number the
    message was exchanged with ("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQz…" holds 16503879439)."""
    record = (b"\x1c\x18" + bytes([len(wa_id)]) + wa_id.encode() + b"\x15\x02\x00\x12\x18\x14"
              + f"{next(_wamids):020X}".encode() + b"\x00")
    return "wamid." + base64.b64encode(record).decode()


@dataclass
class WhatsappResident(RepliesFromFake):
    world: "WhatsappWorld"
    wa_id: str
    name: str
    seen: int = 0

    def message(self, kind: str, **content: Any) -> dict[str, Any]:
        return {"from": self.wa_id, "id": wamid(self.wa_id),
                "timestamp": str(int(time.time())), "type": kind, **content}

    def body(self, message: dict[str, Any]) -> dict[str, Any]:
        return webhook_body([message], contacts=[{"profile": {"name": self.name}, "wa_id": self.wa_id}])

    async def push(self, message: dict[str, Any]) -> str:
        """Post a message without waiting for the bot; returns its wamid."""
        status = await self.world.fake.post_webhook(self.body(message))
        assert status == 200, status
        return message["id"]

    async def act(self, message: dict[str, Any]) -> list[BotMessage]:
        wamid = await self.push(message)
        await wait_handled(self.world.app, CHANNEL, wamid)
        return self.new_messages()

    def new_messages(self) -> list[BotMessage]:
        sent = self.world.fake.sent_to(self.wa_id)
        fresh, self.seen = sent[self.seen:], len(sent)
        return [as_bot_message(m) for m in fresh]

    async def send_text(self, text: str) -> list[BotMessage]:
        return await self.act(self.message("text", text={"body": text}))

    async def press(self, payload: str) -> list[BotMessage]:
        """A reply button or a list row, whichever the bot last showed with this payload."""
        kind, title = "button_reply", payload
        for sent in reversed(self.world.fake.sent_to(self.wa_id)):
            interactive = sent.get("interactive") or {}
            shown = as_bot_message(sent)
            if payload in shown.payloads:
                kind = "list_reply" if interactive.get("type") == "list" else "button_reply"
                title = next(b["label"] for row in shown.buttons for b in row if b.get("payload") == payload)
                break
        context = {"from": PHONE_NUMBER_ID, "id": "wamid.prompt"}
        return await self.act(self.message("interactive", context=context,
                                           interactive={"type": kind, kind: {"id": payload, "title": title}}))

    async def send_location(self, latitude: float, longitude: float) -> list[BotMessage]:
        return await self.act(self.message("location", location={"latitude": latitude, "longitude": longitude}))

    async def send_photo(self, data: bytes) -> list[BotMessage]:
        media_id = self.world.fake.add_media(data)
        return await self.act(self.message("image", image={"mime_type": "image/jpeg", "sha256": "x",
                                                            "id": media_id}))


@dataclass
class WhatsappWorld:
    app: Application
    fake: FakeGraph

    def resident(self, number: int = 0) -> WhatsappResident:
        return WhatsappResident(self, str(FIRST_NUMBER + number), f"Житель {number}")


def bot_environment(fake: FakeGraph, **environment: str) -> dict[str, str]:
    """The settings that point the bot's WhatsApp channel at the fake, with quick retries."""
    return {"SOUCHASTIE_WHATSAPP_TOKEN": fake.token, "SOUCHASTIE_WHATSAPP_APP_SECRET": fake.app_secret,
            "SOUCHASTIE_WHATSAPP_VERIFY_TOKEN": fake.verify_token,
            "SOUCHASTIE_WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
            "SOUCHASTIE_WHATSAPP_GRAPH_URL": fake.url, "SOUCHASTIE_WHATSAPP_GRAPH_VERSION": fake.version,
            "SOUCHASTIE_WHATSAPP_RETRY_BACKOFF_SECONDS": "0.05",
            "SOUCHASTIE_WHATSAPP_REQUEST_TIMEOUT_SECONDS": "5", **environment}


@asynccontextmanager
async def world(tmp_path: Path, fake: FakeGraph | None = None, **environment: str) -> AsyncIterator[WhatsappWorld]:
    """The bot and a fake Graph API; pass ``fake`` to keep one fake across a restart of the bot."""
    own = fake is None
    if fake is None:
        fake = await FakeGraph().start()
    try:
        settings = test_settings(tmp_path, **bot_environment(fake, **environment))
        app = Application(settings)
        await app.start()
        fake.webhook_url = f"http://127.0.0.1:{app.port}{settings.whatsapp.webhook_path}"
        try:
            yield WhatsappWorld(app, fake)
        finally:
            await app.stop()
    finally:
        if own:
            await fake.close()
