"""What a platform's client can show: the limits a reply is fitted to (``bot.core.rendering.fit``).

Its own module, below both the rendering and the channel contract, because the contract fits
replies (``Channel.deliver``) and the rendering reads these limits.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Capabilities:
    max_text_length: int = 4096
    max_buttons_per_row: int = 3
    max_button_rows: int = 10
    # Buttons in one keyboard, where the platform counts them apart from its grid (VK: 10 inline,
    # 40 in a normal keyboard); 0 means the grid's rows × columns.
    max_buttons: int = 0
    max_button_label: int = 64
    inline_buttons: bool = True
    request_location: bool = True
    request_contact: bool = True
    # A button can open the client's own photo picker (the web chat's page); elsewhere a photo is
    # sent with the messenger's attachment button, and a button asking for one is its payload.
    request_photo: bool = False
    # The platform may show the numbered text of a reply instead of its buttons (the gateway's
    # fallback_text): a typed number presses a button there whatever the keyboard.
    numbers_shown: bool = False
    # Replies are read by the client from the outbox (the web chat) instead of being pushed.
    pull_delivery: bool = False
    # How the platform vouches for a resident's phone number: "contact", a shared contact card it
    # marks as the sender's own (``Contact.verified``); "sender", the sender's id is the number
    # itself (WhatsApp's wa_id); "" not at all (a one-time code by SMS is then the way).
    phone_proof: Literal["", "contact", "sender"] = ""

    @property
    def button_capacity(self) -> int:
        grid = self.max_buttons_per_row * self.max_button_rows
        return min(self.max_buttons, grid) if self.max_buttons else grid
