"""Reporting back: each author gets, every ``digests.every_days``, ONE message of what became of
their proposals since the last one (status changes, the staff's answers) — not one per change,
and nothing when nothing changed.

**Never twice.** The digests of a batch of authors and their marks (``digest_marks``: the last
event told of, when) are written in one transaction, as one broadcast whose deliveries each carry
their own message (``BroadcastStore.create_personal``); a restart finds the marks and makes no
digest again, and the broadcast's deliveries are sent by the same senders, at each platform's
pace, with the same retries, as any broadcast. An author who withdrew consent, cannot be written
to, or was forgotten (their proposals keep no author then) gets nothing.

**When.** From ``digests.hour`` in the town's zone (``project.time_zone``) on: an author is due when
their last digest was made at least ``every_days`` town days ago, so a digest made at 18:05 on
Monday makes the next one due from 18:00 the Monday after, whatever minute the check ran.

The same words answer a resident who asks «Что стало с моими идеями?» (handlers/reporting_back.py).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Sequence

from bot.core.i18n import Texts
from bot.core.payloads import encode
from bot.core.replies import Button, Reply
from storage.clock import now as stamp_now
from storage.ports.broadcasts import PersonalMessage
from storage.ports.digests import ProposalNews
from storage.ports.repositories import Database

log = logging.getLogger(__name__)

CREATED_BY = "digests"
SHORT = 60  # characters of a proposal's text in a digest line


def short(text: str, length: int = SHORT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[:length - 1] + "…"


def category_title(settings: Any, language: str, default: str, key: str) -> str:
    for category in settings.proposals.categories:
        if category.key == key:
            return str(category.title_in(language, default))
    return key


def news_lines(texts: Texts, language: str, settings: Any, items: Sequence[ProposalNews]) -> list[str]:
    """One line per proposal (number, category, text, status now) and the latest answer under it."""
    lines = []
    for item in items:
        receipt = f"{settings.proposals.receipt_prefix}{item.proposal_id}"
        lines.append(texts.get(language, "digest.item", receipt=receipt,
                               category=category_title(settings, language, texts.default, item.category),
                               text=short(item.text), status=texts.get(language, f"status.{item.status}")))
        if item.answer:
            lines.append(texts.get(language, "digest.answer", answer=short(item.answer, 300)))
    return lines


def ask_button(texts: Texts, language: str) -> Button:
    return Button(label=texts.get(language, "menu.ideas"), payload=encode("menu", "ideas"))


def digest_reply(texts: Texts, language: str, settings: Any, news: Sequence[ProposalNews]) -> Reply:
    limit = settings.digests.max_proposals
    lines = [texts.get(language, "digest.header"), *news_lines(texts, language, settings, news[:limit])]
    if len(news) > limit:
        lines.append(texts.get(language, "digest.more", count=len(news) - limit))
    return Reply(text="\n".join(lines), buttons=((ask_button(texts, language),),))


def due_since(settings: Any, moment: datetime) -> str | None:
    """The stamp before which an author's last digest must have been made for one to be due at
    ``moment``; None before ``digests.hour`` in the town."""
    clock = settings.project.clock
    local = moment.astimezone(clock.zone)
    if local.hour < settings.digests.hour:
        return None
    return str(clock.midnight(local.date() - timedelta(days=settings.digests.every_days - 1)))


async def send_due_digests(db: Database, texts: Texts, settings: Any, wake: Callable[[], None] | None = None,
                           moment: datetime | None = None) -> int:
    """Queue a digest for every author due at ``moment`` (now by default); how many."""
    since = due_since(settings, moment or datetime.now(timezone.utc))
    if since is None:
        return 0
    made, after = 0, 0
    while True:
        async with db.transaction() as tx:
            due = await tx.digests.due(since, after, settings.digests.batch)
            if not due:
                break
            after = due[-1].resident_id
            stamp = stamp_now()
            messages = []
            for author in due:
                news = await tx.digests.news(author.resident_id, author.told_up_to)
                await tx.digests.mark(author.resident_id, max((n.last_event for n in news), default=0), stamp)
                if not news:
                    continue
                language = texts.resolve(author.language or texts.default)
                reply = digest_reply(texts, language, settings, news)
                messages.append(PersonalMessage(author.resident_id, author.channel, author.external_id, language,
                                                reply.model_dump_json()))
            if messages:
                day = settings.project.clock.text(stamp, "%d.%m.%Y")
                broadcast_id = await tx.broadcasts.create_personal(
                    title=f"Итоги для авторов предложений, {day}", created_by=CREATED_BY, messages=messages,
                    texts={texts.default: "Каждому автору — своё сообщение: что стало с его предложениями."})
                log.info("итоги для авторов: рассылка № %s, получателей %s", broadcast_id, len(messages))
        made += len(messages)
    if made and wake is not None:
        wake()
    return made
