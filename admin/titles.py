"""What the panel calls each channel: one table, so every page says the same."""
from __future__ import annotations

CHANNEL_TITLES = {"webchat": "веб-чат", "telegram": "Telegram", "vk": "ВКонтакте", "max": "MAX",
                  "ok": "Одноклассники", "whatsapp": "WhatsApp", "gateway": "шлюз",
                  "operator": "через оператора"}
