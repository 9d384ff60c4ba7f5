"""A resident whose actions enter the core directly, for tests that need thousands of them.

The events are the ones the web chat's parser makes of the page's messages, handed to the core
through the call a channel that answers in the same request makes (``Inbound.handle``); what comes
back is what the web chat would put in its HTTP answer. No HTTP server or client stands between,
so thousands of residents cost the core's work and little else; the channels' own paths are
proved by the drivers beside this one (a test that uses this driver sends a sample through them).
"""
from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field

from bot.app import Application
from bot.core.channel import Handled
from bot.core.events import Event, Kind, ResidentRef, text_event
from bot.core.replies import Reply
from tests.drivers import BotMessage

CHANNEL = "webchat"


def shown(reply: Reply) -> BotMessage:
    """A reply as a resident sees it: its text and its buttons' labels, payloads and requests."""
    return BotMessage(reply.text, [[button.model_dump(exclude_defaults=True) for button in row]
                                   for row in reply.buttons])


@dataclass
class CoreResident:
    app: Application
    # A web chat session's resident: the channel keys it by a 64-digit hex digest.
    ref: ResidentRef = field(default_factory=lambda: ResidentRef(channel=CHANNEL, external_id=secrets.token_hex(32)))
    # The browser's language, which the page sends with every message ("" for none: then the bot asks).
    language: str = "ru"

    async def _handled(self, event: Event) -> list[BotMessage]:
        assert self.app.dispatcher is not None, "the application is not started"
        handled: Handled = await self.app.dispatcher.handle(event)
        assert handled.not_processed is None and not handled.duplicate, handled
        return [shown(outgoing.reply) for outgoing in handled.replies]

    async def send_text(self, text: str) -> list[BotMessage]:
        return await self._handled(text_event(self.ref, uuid.uuid4().hex, text, language_hint=self.language))

    async def press(self, payload: str) -> list[BotMessage]:
        return await self._handled(Event(ref=self.ref, update_id=uuid.uuid4().hex, kind=Kind.BUTTON, payload=payload,
                                         language_hint=self.language))
