"""What the panel (and the command line) calls each channel and broadcast state: one table, so
every page says the same."""
from __future__ import annotations

CHANNEL_TITLES = {"webchat": "веб-чат", "telegram": "Telegram", "vk": "ВКонтакте", "max": "MAX",
                  "ok": "Одноклассники", "whatsapp": "WhatsApp", "gateway": "шлюз",
                  "operator": "через оператора"}
BROADCAST_STATUS_TITLES = {"draft": "черновик", "scheduled": "запланирована", "sending": "идёт отправка",
                           "paused": "на паузе", "done": "завершена", "cancelled": "отменена"}
