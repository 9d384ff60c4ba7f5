"""Moderating contest works and announcing a contest's results: what the staff panel and the CLI
both call, so that a decision means the same wherever it is taken.

``decide`` changes a work's status (with the reason and who decided) and returns the message
for its author, in the author's language, to be written to the outbox in the SAME transaction:
a decision is never recorded without its notice, nor a notice sent for a decision rolled back.
``results_broadcast`` is a broadcast of the results per category to a topic's subscribers, each
in their language, made through ``broadcasts.outbox`` like any other broadcast.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.core.content import text_in
from bot.core.events import ResidentRef
from bot.core.replies import Reply
from broadcasts.audience import Audience
from broadcasts.outbox import BroadcastSpec
from handlers.contests import results_lines
from handlers.contests_content import Contest
from storage.ports.content import ContentKind
from storage.ports.contests import Submission
from storage.ports.repositories import Repositories
from storage.statuses import WorkStatus

DECISIONS = (WorkStatus.APPROVED, WorkStatus.REJECTED)
NOTICE_KEYS = {WorkStatus.APPROVED: "contests.entry_approved", WorkStatus.REJECTED: "contests.entry_rejected"}


class ReasonRequired(ValueError):
    """A work is rejected only with a reason: its author is told why."""


@dataclass(frozen=True)
class Decision:
    work: Submission
    contest: Contest
    before: str                                  # the status the work had
    messages: list[tuple[ResidentRef, Reply]] = field(default_factory=list)  # to its author, if reachable


async def decide(tx: Repositories, texts, entry_id: int, status: str, *, reason: str = "",
                 actor: str = "") -> Decision | None:
    """Approve or reject work ``entry_id``; None when there is no such work or it had this status
    already (nothing changed, nobody is told)."""
    if status not in DECISIONS:
        raise ValueError(status)  # a programming error: DECISIONS are the only ones
    reason = " ".join(reason.split())
    if status == WorkStatus.REJECTED and not reason:
        raise ReasonRequired(status)
    before = await tx.contests.decide(entry_id, status, reason if status == WorkStatus.REJECTED else "", actor)
    if before is None:
        return None
    work = await tx.contests.submission(entry_id)
    contest = await contest_of(tx, work.contest_id)
    author = await tx.contests.author(entry_id)
    if author is None:
        return Decision(work, contest, before)
    channel, external_id, language = author
    language = texts.resolve(language or texts.default)
    text = texts.get(language, NOTICE_KEYS[status], number=entry_id, title=text_in(contest.title, language),
                     reason=reason)
    return Decision(work, contest, before, [(ResidentRef(channel=channel, external_id=external_id), Reply(text=text))])


async def contest_of(tx: Repositories, contest_id: int) -> Contest:
    return Contest.model_validate_json(await tx.content.definition(ContentKind.CONTESTS, contest_id))


def _literal(text: str) -> str:
    """``text`` as a broadcast template that renders to exactly it: braces from titles or
    locale lines cannot start a template expression."""
    return re.sub(r"[{}]", lambda brace: '{{ "%s" }}' % brace.group(0), text)


async def results_broadcast(tx: Repositories, texts, contest_key: str, topic: str) -> BroadcastSpec | None:
    """The results of contest ``contest_key`` for subscribers of ``topic`` and the contest's
    entrants, one text per language the bot speaks; None when there is no such contest."""
    found = await tx.content.get(ContentKind.CONTESTS, contest_key)
    if found is None:
        return None
    contest_id, definition = found
    contest = Contest.model_validate_json(definition)
    standings = await tx.contests.results(contest_id)
    bodies = {language: _literal(results_lines(texts, language, contest, standings)) for language in texts.languages}
    # Staff see the broadcast under the first line of the results in the bot's default language.
    title = texts.get(texts.default, "contests.results_header", title=text_in(contest.title, texts.default))
    return BroadcastSpec(title=title.rstrip(":"), texts=bodies,
                         audience=Audience(topic=topic, and_entrants_of=contest_key), topic=topic)
