"""What a resident's client can show, and the labels of a long keyboard's pages, in one place
for the replies to events and the notices nobody asked for."""
from __future__ import annotations

import functools
from typing import Mapping

from bot.core import keyboard_memory
from bot.core.channel import Capabilities, Channel
from bot.core.events import ResidentRef
from bot.core.i18n import Texts


class Layout:
    def __init__(self, channels: Mapping[str, Channel], texts: Texts) -> None:
        self.channels = channels
        self.texts = texts
        self._labels: dict[str, keyboard_memory.PageLabels] = {}

    def capabilities(self, ref: ResidentRef) -> Capabilities:
        channel = self.channels.get(ref.channel)
        return channel.capabilities_for(ref) if channel is not None else Capabilities()

    def page_labels(self, language: str) -> keyboard_memory.PageLabels:
        labels = self._labels.get(language)
        if labels is None:
            text = functools.partial(self.texts.get, language)
            labels = self._labels[language] = keyboard_memory.PageLabels(
                more=text("keyboard.more"), back=text("keyboard.back"), heading=text("keyboard.heading"))
        return labels
