"""pydantic's validation messages in Russian, for the settings and content files staff write.

pydantic gives each problem a stable ``type`` and its numbers in ``ctx``; its documentation
("Customizing error messages") renders its own text from them, which is what this does, so
that «Ошибка в настройках: server.port: …» does not go on in English. Our validators' own
messages (type ``value_error``) are written in Russian where they are raised and pass as they
are; a type missing here keeps pydantic's English rather than say nothing.
"""
from __future__ import annotations

from typing import Any

MESSAGES = {
    "missing": "обязательное поле, его нет",
    "extra_forbidden": "такого поля нет (опечатка?)",
    "greater_than": "должно быть больше {gt}",
    "greater_than_equal": "должно быть не меньше {ge}",
    "less_than": "должно быть меньше {lt}",
    "less_than_equal": "должно быть не больше {le}",
    "literal_error": "можно: {expected}",
    "enum": "можно: {expected}",
    "string_type": "нужен текст",
    "string_too_short": "текст короче {min_length} симв.",
    "string_too_long": "текст длиннее {max_length} симв.",
    "string_pattern_mismatch": "не подходит к образцу {pattern}",
    "int_type": "нужно целое число",
    "int_parsing": "нужно целое число",
    "int_from_float": "нужно целое число, без дробной части",
    "float_type": "нужно число",
    "float_parsing": "нужно число",
    "bool_type": "нужно true или false",
    "bool_parsing": "нужно true или false",
    "dict_type": "нужен раздел (ключ: значение)",
    "model_type": "нужен раздел (ключ: значение)",
    "model_attributes_type": "нужен раздел (ключ: значение)",
    "list_type": "нужен список",
    "tuple_type": "нужен список",
    "too_short": "нужно не меньше {min_length}, а здесь {actual_length}",
    "too_long": "можно не больше {max_length}, а здесь {actual_length}",
    "date_type": "нужна дата ГГГГ-ММ-ДД",
    "date_parsing": "нужна дата ГГГГ-ММ-ДД",
    "date_from_datetime_parsing": "нужна дата ГГГГ-ММ-ДД",
    "datetime_type": "нужно время, например 2026-06-25T08:00:00+09:00",
    "datetime_parsing": "нужно время, например 2026-06-25T08:00:00+09:00",
    "datetime_from_date_parsing": "нужно время, например 2026-06-25T08:00:00+09:00",
    "url_parsing": "нужен адрес http(s)://…",
    "url_scheme": "нужен адрес http(s)://…",
    "path_type": "нужен путь к файлу",
    "none_required": "здесь ничего не пишут",
}


def russian(problem: Any) -> str:
    """One problem from ``ValidationError.errors()`` as staff read it."""
    kind = problem.get("type", "")
    if kind in ("value_error", "assertion_error"):
        return problem["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    template = MESSAGES.get(kind)
    if template is None:
        return problem["msg"]
    context = dict(problem.get("ctx") or {})
    if isinstance(context.get("expected"), str):  # "'a', 'b' or 'c'"
        context["expected"] = context["expected"].replace("' or '", "' или '")
    try:
        return template.format(**context)
    except (KeyError, IndexError):
        return problem["msg"]
