"""What the panel calls things staff see by key: one table each, so every page, export and log
line says the same («принято в проект», «веб-чат»), and the stored keys stay data."""
from __future__ import annotations

from typing import Mapping

from storage.ports.moderation import STATUSES, VERDICTS

CHANNEL_TITLES = {"webchat": "веб-чат", "telegram": "Telegram", "vk": "ВКонтакте", "max": "MAX",
                  "ok": "Одноклассники", "whatsapp": "WhatsApp", "gateway": "шлюз",
                  "operator": "через оператора"}

# How an operator received a proposal (operator entry's «Как получено»); residents' own
# proposals carry the source of the poster or link they came by instead.
OPERATOR_SOURCES = {"phone": "по телефону", "reception": "в пункте приёма", "paper": "на бумаге (письмо)",
                    "email": "по электронной почте"}
# A text's language, as the broadcast page labels a text written in it.
LANGUAGE_TITLES = {"ru": "по-русски", "en": "по-английски", "zh": "по-китайски", "mn": "по-монгольски"}
# A resident's language by its name, as an export's «Язык» column says it.
LANGUAGE_NAMES = {"ru": "русский", "en": "английский", "zh": "китайский", "mn": "монгольский"}

STATUS_TITLES = {
    "new": "новое", "in_review": "на рассмотрении", "with_experts": "у экспертов",
    "accepted": "принято в проект", "partly_accepted": "принято частично",
    "not_feasible": "невозможно реализовать", "duplicate": "дубликат (объединено)", "spam": "спам (скрыто)",
}
VERDICT_TITLES = {"possible": "возможно", "impossible": "невозможно", "needs_correction": "нужна доработка"}
assert set(STATUS_TITLES) == set(STATUSES) and set(VERDICT_TITLES) == set(VERDICTS)


def titled(keys: list[str] | tuple[str, ...], titles: Mapping[str, str]) -> list[tuple[str, str]]:
    """(key, title) pairs for a form's options: the key is sent, the title is shown."""
    return [(key, titles.get(key, key)) for key in keys]
# A contest work's moderation state (contest_entries.status).
WORK_STATUS_TITLES = {"pending": "ждёт проверки", "approved": "одобрена", "rejected": "отклонена"}
BROADCAST_STATUS_TITLES = {"draft": "черновик", "scheduled": "запланирована", "sending": "идёт отправка",
                           "paused": "на паузе", "done": "завершена", "cancelled": "отменена"}
