"""A resident who can press only what is on their screen.

A driver's ``press`` sends a payload whether or not its button is shown (a forged press), which
is how a keyboard limit hid: the campaign's menu had degraded to numbered text on VK, and the
journey tests pressed its payloads anyway. ``Screen`` keeps what the bot showed last (the
messages of its latest answer) and ``tap`` presses a payload only as a resident could: its
button, the button behind «Ещё…» pages (``kb:<page>``), or, where the buttons came as numbered
lines, the number of the line with the button's label, typed. Anything else is a dead end, and
the test fails with what the resident was shown.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core.keyboard_memory import PAGE, Shown
from bot.core.payloads import decode
from storage.residents import Resident as StoredResident
from tests.drivers import BotMessage, Resident, World

PRESSES_TO_FIND_A_BUTTON = 20  # page turns before a payload counts as nowhere to be found
NUMBERED_LINE = re.compile(r"^(\d{1,3})\. (.+)$", re.MULTILINE)


class DeadEnd(AssertionError):
    """What the test asked for cannot be done from what the resident sees."""


def describe(messages: list[BotMessage]) -> str:
    """The screen as a resident sees it, for a failure message."""
    lines = []
    for message in messages:
        lines.append(f"  «{message.text}»")
        for row in message.buttons:
            lines.append("    [" + "] [".join(
                f"{b.get('label', '')} → {b.get('payload') or b.get('request') or b.get('url', '')}"
                for b in row) + "]")
    return "\n".join(lines) or "  (nothing)"


def resident_ref(resident: Resident) -> tuple[str, str]:
    """(channel, external id) under which the bot stores this driver's resident."""
    from channels.webchat.channel import session_ref
    from tests.drivers.gateway import GatewayResident
    from tests.drivers.max import MaxResident
    from tests.drivers.ok import OkResident
    from tests.drivers.telegram import TelegramResident
    from tests.drivers.vk import VkResident
    from tests.drivers.webchat import WebChatResident
    from tests.drivers.whatsapp import WhatsappResident

    match resident:
        case WebChatResident():
            return "webchat", session_ref(resident.session).external_id
        case VkResident() | TelegramResident() | MaxResident():
            return type(resident).__module__.rsplit(".", 1)[-1], str(resident.user_id)
        case WhatsappResident():
            return "whatsapp", resident.wa_id
        case GatewayResident():
            return "gateway", resident.user_id
        case OkResident():
            return "ok", resident.chat_id
    raise TypeError(f"no channel known for {type(resident).__name__}")


@dataclass
class Screen:
    """One resident and what the bot shows them now."""

    world: World
    resident: Resident
    shown: list[BotMessage] = field(default_factory=list)
    presses: list[tuple[str, str]] = field(default_factory=list)  # (payload, "button" or "number")
    # Everything the resident sent, one entry per action: a press by its payload (a page turn
    # and a number typed for a button too), or "text", "photo", "location", "contact".
    actions: list[str] = field(default_factory=list)

    async def stored(self) -> StoredResident:
        """The resident as the bot keeps them (read through the repository)."""
        found = await self.world.app.db.reader.residents.find(*resident_ref(self.resident))
        assert found is not None, "the bot keeps no such resident"
        return found

    def _answered(self, messages: list[BotMessage]) -> list[BotMessage]:
        if messages:  # an answer replaces the screen; silence leaves it as it was
            self.shown = messages
        return messages

    # -- what a resident sends without a button ----------------------------------------------

    async def say(self, text: str) -> list[BotMessage]:
        self.actions.append("text")
        return self._answered(await self.resident.send_text(text))

    async def send_photo(self, data: bytes) -> list[BotMessage]:
        self.actions.append("photo")
        return self._answered(await self.resident.send_photo(data))

    async def send_location(self, latitude: float, longitude: float) -> list[BotMessage]:
        self.actions.append("location")
        return self._answered(await self.resident.send_location(latitude, longitude))

    async def share_contact(self, phone: str) -> list[BotMessage]:
        """The messenger's own «share my number» button: only where the bot shows one."""
        if not any("contact" in message.requests() for message in self.shown):
            raise DeadEnd(f"no button to share a phone number on the screen:\n{describe(self.shown)}")
        self.actions.append("contact")
        return self._answered(await self.resident.send_contact(phone))

    # -- pressing what is shown --------------------------------------------------------------

    def showing(self, payload: str) -> bool:
        return any(payload in message.payloads for message in self.shown)

    async def offers(self, payload: str) -> bool:
        """Whether ``payload`` can be pressed from this screen without turning a page: its button,
        or, where the buttons came as numbered lines, its line."""
        if self.showing(payload):
            return True
        return not any(message.payloads for message in self.shown) and await self._number_of(payload) is not None

    async def tap(self, payload: str) -> list[BotMessage]:
        """Press ``payload`` as the resident can: its button on the screen, found through the
        pages of a long keyboard (back to the first, then on through «Ещё…») if need be, or the
        number of its line where the buttons came as numbered text."""
        forward = False
        for _ in range(PRESSES_TO_FIND_A_BUTTON):
            if self.showing(payload):
                self.presses.append((payload, "button"))
                self.actions.append(payload)
                return self._answered(await self.resident.press(payload))
            back, more = self._page_turns()
            if back is not None and not forward:
                turn = back
            elif more is not None:
                forward, turn = True, more
            else:
                break
            self.actions.append(turn)
            self._answered(await self.resident.press(turn))
        if not any(message.payloads for message in self.shown):
            number = await self._number_of(payload)
            if number is not None:
                self.presses.append((payload, "number"))
                self.actions.append(payload)
                return self._answered(await self.resident.send_text(str(number)))
        raise DeadEnd(f"«{payload}» cannot be pressed from what the resident sees:\n{describe(self.shown)}")

    def _page_turns(self) -> tuple[str | None, str | None]:
        """The payloads of the «◂ Предыдущие» and «Ещё…» buttons on the screen, where shown."""
        texts = self.world.app.dispatcher.texts
        back_labels = {texts.get(language, "keyboard.back") for language in texts.languages}
        back = more = None
        for message in self.shown:
            for row in message.buttons:
                for button in row:
                    decoded = decode(button.get("payload", ""))
                    if decoded is not None and decoded.namespace == PAGE:
                        if button["label"] in back_labels:
                            back = button["payload"]
                        else:
                            more = button["payload"]
        return back, more

    async def _number_of(self, payload: str) -> int | None:
        """The number of the shown line whose label is the button's. The label is the one the
        bot numbered (kept with the resident), the line is what the resident reads."""
        shown = Shown.load((await self.stored()).keyboard)
        if not shown.numbered:
            return None
        label = next((label for label, pressed in shown.choices if pressed == payload), None)
        if label is None:
            return None
        for message in reversed(self.shown):
            for number, text in NUMBERED_LINE.findall(message.text):
                if text.strip() == label.strip():
                    return int(number)
        return None
