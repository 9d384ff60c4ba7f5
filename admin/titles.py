"""What the panel calls each channel and language: one table each, so every page says the same."""
from __future__ import annotations

CHANNEL_TITLES = {"webchat": "веб-чат", "telegram": "Telegram", "vk": "ВКонтакте", "max": "MAX",
                  "ok": "Одноклассники", "whatsapp": "WhatsApp", "gateway": "шлюз",
                  "operator": "через оператора"}

# How an operator received a proposal (operator entry's «Как получено»); residents' own
# proposals carry the source of the poster or link they came by instead.
OPERATOR_SOURCES = {"phone": "по телефону", "reception": "в пункте приёма", "paper": "на бумаге (письмо)",
                    "email": "по электронной почте"}
# A text's language, as the broadcast page labels a text written in it.
LANGUAGE_TITLES = {"ru": "по-русски", "en": "по-английски", "zh": "по-китайски", "mn": "по-монгольски"}
