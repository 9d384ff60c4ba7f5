"""The audit log in words: «Рассылка создана», «получателей: 2; отправка: сейчас».

The log stores keys (``broadcast.create``, ``{"recipients": 2, "status": "now"}``): they are data,
searchable and stable when a title is reworded. They are turned into Russian only when shown, by
the one table here; tests/test_audit_titles.py reads every ``record(...)`` in the code and fails
when an action or a detail has no title, so a new action cannot reach the page as a raw key.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from admin.roles import ROLE_TITLES
from admin.titles import CHANNEL_TITLES, STATUS_TITLES, VERDICT_TITLES, WORK_STATUS_TITLES

ACTION_TITLES = {
    "login": "Вход в панель",
    "logout": "Выход из панели",
    "user.create": "Сотрудник добавлен",
    "user.update": "Учётная запись сотрудника изменена",
    "template.save": "Шаблон ответа сохранён",
    "template.delete": "Шаблон ответа удалён",
    "proposal.status": "Статус предложения изменён",
    "proposal.answer": "Автору отправлен ответ",
    "proposal.question": "Автору задан вопрос",
    "proposal.opinion": "Эксперт дал заключение",
    "proposal.enter": "Обращение принято оператором",
    "export": "Выгрузка",
    "content.save": "Опросы и конкурсы сохранены",
    "broadcast.create": "Рассылка создана",
    "broadcast.pause": "Рассылка поставлена на паузу",
    "broadcast.resume": "Рассылка продолжена",
    "broadcast.cancel": "Рассылка отменена",
    "inbox.retry": "Сообщение снова передано на обработку",
    "inbox.discard": "Сообщение убрано из необработанных",
    # the contests, points and similar branches' actions, so that they read as words when merged
    "contest.approve": "Конкурсная работа одобрена",
    "contest.reject": "Конкурсная работа отклонена",
    "contest.results": "Итоги конкурса разосланы",
    "proposal.forget_author": "Данные автора предложения удалены",
    "proposal.publish": "Предложение опубликовано на публичной странице",
    "proposal.unpublish": "Предложение снято с публичной страницы",
    "volunteers.view": "Просмотр списка «Присоединились»",
}
# A contest work's statuses (storage/contests.py), beside the proposals' in «было» and «стало».

YES_NO = {True: "да", False: "нет"}
BROADCAST_SENDING = {"now": "сейчас", "draft": "черновик, не отправляется", "scheduled": "по расписанию"}
EXPORT_KINDS = {"proposals": "предложения", "all": "всё сразу", "residents": "жители",
                "volunteers": "присоединившиеся к проекту"}
FILTER_TITLES = {"status": "статус", "category": "категория", "channel": "канал", "source": "источник",
                 "date_from": "с", "date_to": "по", "with_photo": "с фото", "with_location": "с точкой на карте",
                 "search": "слова", "awaiting_correction": "ждут исправления автора",
                 "time_zone": "часовой пояс", "kind": "кто", "help": "чем поможет"}
WHO = {"command line": "из командной строки"}


@dataclass(frozen=True)
class AuditWords:
    """What the settings add to the table: category titles and the receipt prefix («П-»)."""

    categories: Mapping[str, str] = field(default_factory=dict)
    receipt_prefix: str = "П-"


def _titled(titles: Mapping[Any, str]) -> Callable[[Any, AuditWords], str]:
    return lambda value, words: titles.get(value, str(value))


def _filters(value: Any, words: AuditWords) -> str:
    if not isinstance(value, dict):
        return str(value)
    shown = {"status": STATUS_TITLES, "channel": CHANNEL_TITLES, "category": words.categories}
    parts = []
    for key, item in value.items():
        item = shown.get(key, {}).get(item, item)
        if item in (True, "True"):
            parts.append(FILTER_TITLES.get(key, key))
        elif key in (*shown, "source", "search"):
            parts.append(f"{FILTER_TITLES.get(key, key)} «{item}»")
        else:
            parts.append(f"{FILTER_TITLES.get(key, key)} {item}")
    return ", ".join(parts) or "нет"


def _plain(value: Any, words: AuditWords) -> str:
    return YES_NO[value] if isinstance(value, bool) else str(value)


# detail key -> (what it is called, how its value is shown)
DETAIL_TITLES: dict[str, tuple[str, Callable[[Any, AuditWords], str]]] = {
    "from": ("было", _titled({**WORK_STATUS_TITLES, **STATUS_TITLES})),
    "to": ("стало", _titled({**WORK_STATUS_TITLES, **STATUS_TITLES})),
    "reason": ("причина", _plain),
    "duplicate_of": ("объединено с", lambda value, words: f"{words.receipt_prefix}{value}"),
    "length": ("символов в тексте", _plain),
    "verdict": ("заключение", _titled(VERDICT_TITLES)),
    "source": ("источник", _plain),
    "point": ("пункт приёма", _plain),
    "personal": ("с персональными данными", _plain),
    "filters": ("фильтры", _filters),
    "recipients": ("получателей", _plain),
    "status": ("отправка", _titled(BROADCAST_SENDING)),
    "role": ("роль", _titled(ROLE_TITLES)),
    "personal_data": ("видит персональные данные", _plain),
    "active": ("может входить", _plain),
    "password_changed": ("пароль изменён", _plain),
    "id": ("номер", _plain),
    "channel": ("канал", _titled(CHANNEL_TITLES)),
    "by": ("кем", _titled(WHO)),
    "contest": ("конкурс", _plain),
    "author_told": ("автору сообщено", _plain),
    "broadcast": ("рассылка", lambda value, words: f"№{value}"),
    "topic": ("тема", _plain),
    "proposals": ("предложений", _plain),
}


def action_title(action: str) -> str:
    return ACTION_TITLES.get(action, action)


def subject_text(action: str, subject: str) -> str:
    """What the action was done to, in words where the subject is a key: «CSV: предложения»."""
    if action == "export" and ":" in subject:
        fmt, kind = subject.split(":", 1)
        if kind.startswith("survey:"):
            return f"{fmt.upper()}: ответы на опрос «{kind.removeprefix('survey:')}»"
        return f"{fmt.upper()}: {EXPORT_KINDS.get(kind, kind)}"
    if action.startswith("broadcast.") and subject.isdigit():
        return f"рассылка №{subject}"
    if action.startswith("inbox.") and subject.isdigit():
        return f"сообщение №{subject}"
    return subject


def details_text(details: Mapping[str, Any], words: AuditWords) -> str:
    """«получателей: 2; отправка: сейчас»: each detail by its title, its value in words."""
    parts = []
    for key, value in details.items():
        title, show = DETAIL_TITLES.get(key, (key, _plain))
        parts.append(f"{title}: {show(value, words)}")
    return "; ".join(parts)
