"""Delivery: replies committed to the outbox are handed to their channel, and marked sent.

A push channel gets the replies of one resident in the order they were written (a lock per
resident); a pull channel (the web chat) is only told that there is something to read. A reply
the channel could not send stays pending: those are handed over again at the next start
(``send_pending``), and while the bot runs by the periodic retry pass once they have waited a
while — the replies a process of a cluster wrote and was killed before sending are sent by
another, not only when that one starts again. A permanent failure (the resident blocked the bot) closes the replies and
marks the resident unreachable.
"""
from __future__ import annotations

import logging
from typing import Awaitable, Callable, Iterable, Mapping

from bot.core.background import Background
from bot.core.channel import Channel, DeliveryError, Outgoing
from bot.core.events import ResidentRef
from bot.core.locks import KeyedLocks
from bot.core.metrics import Metrics, counting_rate_limits
from bot.core.replies import Reply
from storage.ports.repositories import Database

log = logging.getLogger(__name__)


class Delivery:
    def __init__(self, db: Database, channels: Mapping[str, Channel], background: Background,
                 after_erasure: Callable[[Iterable[str]], Awaitable[None]], metrics: Metrics) -> None:
        self.db = db
        self._metrics = metrics
        self.channels = channels
        self._background = background
        self._after_erasure = after_erasure
        self._delivery_locks = KeyedLocks()  # one resident's replies leave in the order written

    def pulls(self, channel_name: str) -> bool:
        channel = self.channels.get(channel_name)
        return channel is not None and channel.capabilities.pull_delivery

    def deliver(self, ref: ResidentRef, outgoing: list[Outgoing]) -> None:
        channel = self.channels.get(ref.channel)
        if channel is None:
            log.warning("канал %r не запущен; ответов ждут отправки: %d", ref.channel, len(outgoing))
        elif channel.capabilities.pull_delivery:
            channel.replies_written(ref)
            self._metrics.sent(ref.channel, len(outgoing))  # written is sent: the page reads them
        else:
            self._background.track(self._push(channel, ref, outgoing))

    async def _push(self, channel: Channel, ref: ResidentRef, outgoing: list[Outgoing]) -> None:
        async with self._delivery_locks.hold(ref):
            await self._push_in_order(channel, ref, outgoing)

    async def _push_in_order(self, channel: Channel, ref: ResidentRef, outgoing: list[Outgoing]) -> None:
        try:
            with counting_rate_limits(self._metrics, channel.name):
                await channel.deliver(ref, outgoing)
        except DeliveryError as error:
            if error.permanent:
                async with self.db.transaction() as tx:
                    await tx.outbox.mark_failed([o.id for o in outgoing], str(error))
                    await tx.outbox.erase_delivered([o.id for o in outgoing])
                    resident = await tx.residents.find(ref.channel, ref.external_id)
                    if resident is not None:
                        await tx.residents.set_reachable(resident.id, False)
            else:
                # The channel, not the resident: a log outlives an erasure of their id.
                log.warning("ответов ждут отправки: %d, канал %s: %s", len(outgoing), ref.channel, error)
            return
        except Exception:
            log.exception("канал %s не доставил ответы; они ждут отправки", channel.name)
            return
        async with self.db.transaction() as tx:
            await tx.outbox.mark_sent([o.id for o in outgoing])
            erased = await tx.outbox.erase_delivered([o.id for o in outgoing])
        self._metrics.sent(channel.name, len(outgoing))
        if erased:
            await self._after_erasure(())

    async def send_pending(self, written_before: str | None = None) -> None:
        """Hand the push channels what was written and not sent: at start, all of it (what the
        last stop left); in the periodic pass, what was written before ``written_before`` (a
        process of the cluster died before sending it, or the platform failed). Each resident's
        replies are checked again under their delivery lock, so what this process sent meanwhile
        does not go twice. A reply another live process has been sending since before
        ``written_before`` may go twice: delivery is at least once."""
        for name, channel in self.channels.items():
            if channel.capabilities.pull_delivery:
                continue
            # The replies of one event to one resident are handed over together, as they were the
            # first time: a channel that joins a delivery's replies into one message (VK) then
            # makes the same message, with the same idempotency key, and the platform drops it if
            # it was sent before the stop.
            together: dict[tuple[str, int | None], list[Outgoing]] = {}
            for row in await self.db.reader.outbox.pending(name, written_before=written_before):
                key = (row.external_id, row.inbox_id if row.inbox_id is not None else -row.id)
                together.setdefault(key, []).append(Outgoing(row.id, Reply.model_validate_json(row.payload)))
            for (external_id, _), outgoing in together.items():
                await self._push_left_over(channel, ResidentRef(channel=name, external_id=external_id), outgoing)

    async def _push_left_over(self, channel: Channel, ref: ResidentRef, outgoing: list[Outgoing]) -> None:
        async with self._delivery_locks.hold(ref):
            still = await self.db.reader.outbox.still_pending(o.id for o in outgoing)
            if still:
                await self._push_in_order(channel, ref, [o for o in outgoing if o.id in still])
