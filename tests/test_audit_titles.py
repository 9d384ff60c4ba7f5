"""The audit log in Russian: every action the code records, and every detail it writes, has a
title, so no page shows `broadcast.create` or `recipients: 2; status: now`.

A static scan, like tests/test_locales.py: it reads each ``record(tx, request, ACTION, subject,
DETAILS)`` and ``tx.staff.audit(user_id, username, ACTION, subject, DETAILS, address)`` call in
the code. An action must be a literal (or a choice of two: ``"a" if … else "b"``) or an item of
a module-level dict of literals, so that it can be read here; the details' dict keys are taken from the dict
literals in the call."""
from __future__ import annotations

import ast
from pathlib import Path

from admin.audit_titles import ACTION_TITLES, DETAIL_TITLES, AuditWords, action_title, details_text

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("admin", "bot", "broadcasts", "handlers", "storage", "channels")
FORWARDER = "admin/audit.py"  # ``record`` itself: hands every action on to tx.staff.audit


def _literal_dicts(tree: ast.Module) -> dict[str, list[str]]:
    """Module-level ``NAME = {...: "literal", ...}``: the values an indexed action may take."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            values = [v.value for v in node.value.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
            if len(values) == len(node.value.values):
                found[node.targets[0].id] = values
    return found


def _imports_record(tree: ast.Module) -> bool:
    """The module's ``record`` is the audit log's (handlers/surveys.py has a ``record`` of its own)."""
    return any(isinstance(node, ast.ImportFrom) and node.module == "admin.audit"
               and any(alias.name == "record" for alias in node.names) for node in ast.walk(tree))


def _audit_calls(tree: ast.Module) -> list[tuple[ast.expr, ast.expr | None]]:
    """(action argument, details argument) of each audit call in a module."""
    calls = []
    audit_record = _imports_record(tree)
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        name = call.func.id if isinstance(call.func, ast.Name) else \
            call.func.attr if isinstance(call.func, ast.Attribute) else ""
        owner = call.func.value if isinstance(call.func, ast.Attribute) else None
        if audit_record and name == "record" and isinstance(call.func, ast.Name) and len(call.args) >= 3:
            calls.append((call.args[2], call.args[4] if len(call.args) > 4 else None))
        elif name == "audit" and isinstance(owner, ast.Attribute) and owner.attr == "staff" and len(call.args) >= 3:
            calls.append((call.args[2], call.args[4] if len(call.args) > 4 else None))
    return calls


def recorded() -> tuple[dict[str, str], dict[str, str]]:
    """(action -> where, detail key -> where) for everything the code writes to the audit log."""
    actions: dict[str, str] = {}
    details: dict[str, str] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            where = str(path.relative_to(ROOT))
            if where == FORWARDER:
                continue
            tables = _literal_dicts(tree)
            for action, detail in _audit_calls(tree):
                if isinstance(action, ast.IfExp):  # "contest.approve" if ... else "contest.reject"
                    branches = [action.body, action.orelse]
                else:
                    branches = [action]
                if all(isinstance(b, ast.Constant) and isinstance(b.value, str) for b in branches):
                    actions.update(dict.fromkeys((b.value for b in branches), where))
                elif isinstance(action, ast.Subscript) and isinstance(action.value, ast.Name) \
                        and action.value.id in tables:
                    actions.update(dict.fromkeys(tables[action.value.id], where))
                else:
                    raise AssertionError(f"{where}:{action.lineno}: an audit action must be a literal "
                                         f"(or an item of a dict of literals) so that its title can be checked")
                for node in ast.walk(detail) if detail is not None else ():
                    if isinstance(node, ast.Dict):
                        for key in node.keys:
                            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                                details[key.value] = where
    return actions, details


def test_the_scan_finds_the_actions_of_every_part_of_the_panel():
    actions, details = recorded()
    assert {"broadcast.create", "broadcast.pause", "inbox.retry", "proposal.status", "export", "login",
            "user.create"} <= set(actions), "the scan must see what the code records"
    assert {"recipients", "status", "from", "to", "channel", "by"} <= set(details)


def test_every_audit_action_recorded_anywhere_has_a_russian_title():
    actions, _ = recorded()
    missing = {action: where for action, where in actions.items() if action not in ACTION_TITLES}
    assert not missing, f"add these to ACTION_TITLES in admin/audit_titles.py: {missing}"


def test_every_audit_detail_recorded_anywhere_has_a_russian_title():
    _, details = recorded()
    missing = {key: where for key, where in details.items() if key not in DETAIL_TITLES}
    assert not missing, f"add these to DETAIL_TITLES in admin/audit_titles.py: {missing}"


def test_a_broadcast_creation_and_an_export_read_as_russian_words():
    assert action_title("broadcast.create") == "Рассылка создана"
    assert details_text({"recipients": 2, "status": "now"}, AuditWords()) == "получателей: 2; отправка: сейчас"
    assert details_text({"from": "new", "to": "accepted", "duplicate_of": 3}, AuditWords()) == \
        "было: новое; стало: принято в проект; объединено с: П-3"
    words = AuditWords({"idea": "Идея для парка"})
    details = {"personal": False, "filters": {"status": "accepted", "category": "idea", "with_photo": "True"}}
    assert details_text(details, words) == "с персональными данными: нет; фильтры: статус «принято в проект»," \
                                          " категория «Идея для парка», с фото"
