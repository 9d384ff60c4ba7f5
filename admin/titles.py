"""What the panel calls things staff see by key: one table each, so every page, export and log
line says the same («принято в проект», «веб-чат»), and the stored keys stay data."""
from __future__ import annotations

from typing import Mapping

from storage.statuses import BroadcastStatus, ProposalStatus, Verdict, WorkStatus

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

# The stored vocabularies (storage/statuses.py), one title per member (tests/test_statuses.py).
STATUS_TITLES = {
    ProposalStatus.NEW: "новое", ProposalStatus.IN_REVIEW: "на рассмотрении",
    ProposalStatus.WITH_EXPERTS: "у экспертов", ProposalStatus.ACCEPTED: "принято в проект",
    ProposalStatus.PARTLY_ACCEPTED: "принято частично", ProposalStatus.NOT_FEASIBLE: "невозможно реализовать",
    ProposalStatus.DUPLICATE: "дубликат (объединено)", ProposalStatus.SPAM: "спам (скрыто)",
}
VERDICT_TITLES = {Verdict.POSSIBLE: "возможно", Verdict.IMPOSSIBLE: "невозможно",
                  Verdict.NEEDS_CORRECTION: "нужна доработка"}
# A contest work's moderation state (contest_entries.status).
WORK_STATUS_TITLES = {WorkStatus.PENDING: "ждёт проверки", WorkStatus.APPROVED: "одобрена",
                      WorkStatus.REJECTED: "отклонена"}
BROADCAST_STATUS_TITLES = {
    BroadcastStatus.DRAFT: "черновик", BroadcastStatus.SCHEDULED: "запланирована",
    BroadcastStatus.SENDING: "идёт отправка", BroadcastStatus.PAUSED: "на паузе",
    BroadcastStatus.DONE: "завершена", BroadcastStatus.CANCELLED: "отменена",
}


def titled(keys: list[str] | tuple[str, ...], titles: Mapping[str, str]) -> list[tuple[str, str]]:
    """(key, title) pairs for a form's options: the key is sent, the title is shown."""
    return [(key, titles.get(key, key)) for key in keys]
