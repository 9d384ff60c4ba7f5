"""The stored vocabularies are the enums of storage/statuses.py, and only they.

What keeps a status from going astray: the panel has a title for every member, keyed by the
member (a new member shows a word, not ``partly_accepted``), and residents read every proposal
status in their language; the columns' CHECK constraints and the words the SQL in storage/
compares accept exactly the enums' values (no ``'pendng'`` in a query that then matches
nothing); and no module compares, matches or passes a status as a bare string literal (a static
scan, like tests/test_audit_titles.py), so the enum stays the one place that says them.
"""
from __future__ import annotations

import ast
import re
from enum import StrEnum
from pathlib import Path

import yaml

from admin.proposals import EVENT_TITLES
from admin.roles import PERMISSIONS, ROLE_TITLES
from admin.titles import BROADCAST_STATUS_TITLES, STATUS_TITLES, VERDICT_TITLES, WORK_STATUS_TITLES
from handlers import LOCALES
from storage.database import Database
from storage.statuses import (
    BroadcastStatus,
    ContactKind,
    DeliveryStatus,
    OutboxStatus,
    PhoneCodeStatus,
    PollKind,
    ProposalEventKind,
    ProposalStatus,
    QuestionType,
    StaffRole,
    Verdict,
    VolunteerKind,
    WhatsAppStatus,
    WorkStatus,
)
from tests import stored

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("admin", "bot", "broadcasts", "handlers", "storage", "channels")

TITLES = {ProposalStatus: STATUS_TITLES, Verdict: VERDICT_TITLES, WorkStatus: WORK_STATUS_TITLES,
          BroadcastStatus: BROADCAST_STATUS_TITLES, StaffRole: ROLE_TITLES, ProposalEventKind: EVENT_TITLES}

# (table, column) whose CHECK lists the words the column takes.
CHECKED = {("outbox", "status"): OutboxStatus, ("deliveries", "status"): DeliveryStatus,
           ("broadcasts", "status"): BroadcastStatus, ("contest_entries", "status"): WorkStatus,
           ("phone_codes", "status"): PhoneCodeStatus, ("content_items", "poll_kind"): PollKind,
           ("staff_users", "role"): StaffRole, ("expert_opinions", "verdict"): Verdict,
           ("volunteers", "kind"): VolunteerKind, ("volunteers", "contact_kind"): ContactKind}

# Each vocabulary, with the words that name it in code: a literal of its values compared with,
# matched against or passed as something so named is a bare status.
HINTS: dict[type[StrEnum], tuple[str, ...]] = {
    ProposalStatus: ("status",), Verdict: ("verdict",), ProposalEventKind: ("kind", "event"),
    OutboxStatus: ("status",), DeliveryStatus: ("status", "outcome"), BroadcastStatus: ("status",),
    WorkStatus: ("status", "tab"), PhoneCodeStatus: ("status",), WhatsAppStatus: ("status",),
    PollKind: ("kind",), QuestionType: ("type",), StaffRole: ("role",), VolunteerKind: ("kind",),
    ContactKind: ("contact_kind",),
}
# Where the same words name another vocabulary: a platform's own message and attachment types.
ELSEWHERE = {QuestionType: ("channels/",)}


def test_the_panel_titles_every_member_by_the_enum() -> None:
    for vocabulary, titles in TITLES.items():
        assert set(titles) == set(vocabulary), vocabulary.__name__
        assert all(type(key) is vocabulary for key in titles), f"{vocabulary.__name__}: titles keyed by bare strings"
        assert all(titles.values()), vocabulary.__name__
    assert set(PERMISSIONS) == set(StaffRole)


def test_residents_read_every_proposal_status_in_every_language() -> None:
    """A resident's list of proposals says each one's status in the resident's language
    (``status.<status>`` in the locale files)."""
    for locale in sorted(LOCALES.glob("*.yaml")):
        words = yaml.safe_load(locale.read_text(encoding="utf-8"))["status"]
        assert set(words) == set(ProposalStatus) and all(words.values()), locale.name


async def test_checked_columns_take_exactly_the_enums_values(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "bot.db")
    try:
        tables = await stored.schema(db)
    finally:
        await db.close()
    for (table, column), vocabulary in CHECKED.items():
        found = re.search(rf"CHECK \({column} IN \(([^)]*)\)\)", tables[table])
        assert found, f"{table}.{column} has no CHECK"
        words = [word.strip().strip("'") for word in found.group(1).split(",")]
        assert sorted(words) == sorted(vocabulary), f"{table}.{column}"


def _sql_words() -> list[tuple[str, str, str]]:
    """(where, column, word) for each literal the SQL in storage/ compares a vocabulary's column with."""
    pattern = re.compile(r"\b(status|from_status|to_status|kind|poll_kind|verdict|role)"
                         r"\s*(?:=|!=|<>|IN\s*\()\s*((?:'[^']*'\s*,?\s*)+)")
    found = []
    for path in sorted((ROOT / "storage").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for column, words in pattern.findall(node.value):
                    found += [(f"{path.name}:{node.lineno}", column, w) for w in re.findall(r"'([^']*)'", words)]
    return found


def test_the_sql_in_storage_compares_only_the_enums_words() -> None:
    words = _sql_words()
    assert len(words) > 10  # the scan reads the queries (a broken pattern finds nothing)
    known = {"status": {*ProposalStatus, *OutboxStatus, *DeliveryStatus, *BroadcastStatus, *WorkStatus,
                        *PhoneCodeStatus, *WhatsAppStatus},
             "kind": {*ProposalEventKind, *VolunteerKind, "polls", "quizzes", "surveys", "contests"},
             "poll_kind": set(PollKind), "verdict": set(Verdict), "role": set(StaffRole)}
    known["from_status"] = known["to_status"] = set(ProposalStatus)
    strays = [f"{where}: {column} '{word}'" for where, column, word in words if word not in known[column]]
    assert not strays, "\n".join(strays)


def _names(node: ast.AST) -> str:
    """The identifiers and string keys an expression is made of, lower-cased: what it is called."""
    parts = []
    for part in ast.walk(node):
        if isinstance(part, ast.Name):
            parts.append(part.id)
        elif isinstance(part, ast.Attribute):
            parts.append(part.attr)
        elif isinstance(part, ast.Constant) and isinstance(part.value, str):
            parts.append(part.value)
    return " ".join(parts).lower()


def _literals(node: ast.AST | None) -> list[ast.Constant]:
    """The string literals a value is, directly or as one of a tuple, list or set, or a branch."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [c for e in node.elts for c in _literals(e)]
    if isinstance(node, ast.IfExp):
        return _literals(node.body) + _literals(node.orelse)
    return []


def _uses(tree: ast.Module) -> list[tuple[str, list[ast.Constant]]]:
    """(what it is called, the literals) for every comparison, match case, named argument and
    assignment in a module."""
    uses = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for operand in operands:
                others = " ".join(_names(o) for o in operands if o is not operand and not _literals(o))
                uses.append((others, _literals(operand)))
        elif isinstance(node, ast.Match):
            values = [p.value for case in node.cases for p in ast.walk(case.pattern) if isinstance(p, ast.MatchValue)]
            uses.append((_names(node.subject), [c for v in values for c in _literals(v)]))
        elif isinstance(node, ast.keyword) and node.arg:
            uses.append((node.arg.lower(), _literals(node.value)))
        elif isinstance(node, ast.Call):
            function = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            uses.append((function.lower(), [c for a in node.args for c in _literals(a)]))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            uses.append((" ".join(_names(t) for t in targets), _literals(node.value)))
    return uses


def bare_statuses(root: Path = ROOT) -> list[str]:
    """Each place a vocabulary's value is written as a bare string where that vocabulary is meant."""
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            where = str(path.relative_to(root))
            for called, literals in _uses(ast.parse(path.read_text(encoding="utf-8"))):
                for literal in literals:
                    meant = [vocabulary.__name__ for vocabulary, hints in HINTS.items()
                             if literal.value in set(vocabulary) and any(hint in called for hint in hints)
                             and not where.startswith(ELSEWHERE.get(vocabulary, ("\0",)))]
                    if meant:
                        found.append(f"{where}:{literal.lineno}: {literal.value!r} ({' or '.join(meant)})")
    return sorted(set(found))


def test_no_status_is_a_bare_string() -> None:
    found = bare_statuses()
    assert not found, "use the enum of storage/statuses.py:\n" + "\n".join(found)


def test_the_scan_sees_a_bare_status(tmp_path: Path) -> None:
    """The scan is not blind: each way of writing a bare status is found."""
    package = tmp_path / "admin"
    package.mkdir()
    (package / "example.py").write_text(
        'def f(row, status, poll, db):\n'
        '    if row.status == "spam": pass\n'
        '    match poll.kind:\n'
        '        case "top3": pass\n'
        '    db.set_status(1, "paused")\n'
        '    db.create(status="draft")\n'
        '    verdict = "possible" if row else "impossible"\n', encoding="utf-8")
    assert [line.split(": ", 1)[1] for line in bare_statuses(tmp_path)] == [
        "'spam' (ProposalStatus)", "'top3' (PollKind)", "'paused' (BroadcastStatus)", "'draft' (BroadcastStatus)",
        "'impossible' (Verdict)", "'possible' (Verdict)"]
