"""Intake: how an event enters the core, and how one seen before is recognised.

Push channels (webhooks, long polling) call ``submit`` (or ``accept``/``accept_many``): the event
is written to the inbox and committed, and only then may the channel tell its platform that the
update arrived; processing follows in the background. The event is serialised once, for the
inbox; its first attempt takes the event as the channel built it, already validated, rather
than reading it back (``Attempts.stored``); only a later attempt reads the stored copy. The web
chat calls ``handle``, which stores and processes in one transaction before the HTTP answer, the answer being its
acknowledgement. A (channel, update id) seen before is recognised and not processed again: the
web chat gets the replies written the first time.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from bot.core.attempts import Attempts
from bot.core.channel import Handled, Outgoing
from bot.core.events import Event
from bot.core.metrics import Metrics
from bot.core.replies import Reply
from bot.core.storable import storable_text
from bot.core.worker import BatchWorker
from storage.ports.repositories import Database

log = logging.getLogger(__name__)


class Intake:
    def __init__(self, db: Database, worker: BatchWorker, attempts: Attempts, metrics: Metrics) -> None:
        self.db = db
        self._metrics = metrics
        self._worker = worker
        self._attempts = attempts

    async def submit(self, events: list[Event]) -> list[int | None]:
        """The one call of a push channel: store the events in one commit, then start processing
        those not seen before. The channel acknowledges its platform once this returns; ``None``
        marks a duplicate of an event stored earlier."""
        stored = await self.accept_many(events)
        for inbox_id in stored:
            if inbox_id is not None:
                self._attempts.process_in_background(inbox_id)
        return stored

    async def accept(self, event: Event) -> int | None:
        """Store the event durably; ``None`` when it is a duplicate of one already stored."""
        return (await self.accept_many([event]))[0]

    async def accept_many(self, events: list[Event]) -> list[int | None]:
        """Store a batch of events (a poll's worth) in one commit; ``None`` marks duplicates."""
        async with self.db.transaction() as tx:
            stored = await tx.inbox.store_many(
                [(e.ref.channel, e.update_id, e.model_dump_json()) for e in events])
        ids = [stored.get((e.ref.channel, e.update_id)) for e in events]
        for event, inbox_id in zip(events, ids):
            if inbox_id is not None:
                self._attempts.stored(inbox_id, event)
                self._metrics.stored(event.ref.channel)
        return ids

    async def accept_unparseable(self, channel: str, body: bytes | str | Any, reason: str) -> int | None:
        """Keep a signed body (or a decoded update from a long poll) that the channel's parser
        cannot read as a dead letter staff can see; ``None`` when the same body was kept before.
        The channel then answers so that the platform stops retrying (a 500 would bring the same
        body back for days)."""
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        elif not isinstance(body, str):
            body = json.dumps(body, ensure_ascii=False, default=str)
        text = storable_text(body)
        async with self.db.transaction() as tx:
            inbox_id = await tx.inbox.store_unparseable(channel, text, storable_text(reason))
        if inbox_id is not None:
            self._metrics.buried()
        log.warning("%s: тело запроса с верной подписью не разобрано (%s); %s", channel, reason[:200],
                    f"сохранено для разбора, inbox {inbox_id}" if inbox_id else "уже сохранено ранее")
        return inbox_id

    async def handle(self, event: Event) -> Handled:
        """Store and process at once, for channels that answer in the same request."""
        work = await self._worker.process(event, None)
        if work.duplicate:
            earlier = await self.db.reader.inbox.find(event.ref.channel, event.update_id)
            rows = await self.db.reader.outbox.for_inbox(earlier) if earlier else []
            return Handled(earlier, True, [Outgoing(r.id, Reply.model_validate_json(r.payload)) for r in rows])
        if work.unfinished:
            return Handled(work.inbox_id, False, [], not_processed=self._worker.could_not_process(event.language_hint))
        return Handled(work.inbox_id, False, work.replies, step=work.step)
