"""The broadcast service the application runs: one ``ChannelSender`` per running channel, and a
tick every ``broadcasts.check_every_seconds`` that starts scheduled broadcasts whose time has
come and marks finished ones done.

One sender per platform token in the cluster: with several bot processes on one database, a
channel's sender runs only in the process that holds the lease ``send:<channel>:<digest of the
token>`` (``bot.leadership``), so the platform's rate ceiling, which is per token, holds however
many processes run. The others stand by and take the sender over within
``cluster.lease_seconds`` when that process dies. The tick may run in every process: starting a
due broadcast and finishing a done one are conditional updates that happen once.

When a process takes a channel's sender (at start, or from one that died), the channel's
deliveries left 'sending' were in flight in the last sender; they go back to pending and are
sent again (at most a sender's window per channel and takeover: README, "Broadcasts").
Broadcasts made by another process (the CLI, the staff panel) are found by the senders' idle
look at the database, so nothing needs to tell the running bot about them.
"""
from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Mapping

from bot.config import Settings
from bot.core.channel import Channel
from bot.core.i18n import Texts
from bot.core.metrics import Metrics
from bot.leadership import Leadership, holder_id, lease_name
from bot.pacing import WINDOW
from broadcasts.sender import ChannelSender
from broadcasts.templates import neutral_name
from storage.clock import now
from storage.ports.repositories import Database

log = logging.getLogger(__name__)

NEUTRAL_NAME_KEY = "broadcasts.neutral_name"


class BroadcastService:
    def __init__(self, db: Database, channels: Mapping[str, Channel], texts: Texts, settings: Settings,
                 metrics: Metrics | None = None, holder: str | None = None) -> None:
        self.db = db
        self.metrics = metrics if metrics is not None else Metrics()
        self.channels = channels
        self.texts = texts
        self.settings = settings
        self.holder = holder or holder_id()   # this process, among the cluster's (bot.leadership)
        self.senders: dict[str, ChannelSender] = {}   # the latest sender of each channel led here
        self.leaderships: list[Leadership] = []
        self._ticker: asyncio.Task | None = None
        self._stopping = asyncio.Event()

    def _neutral_name(self, language: str) -> str:
        """A form of address for residents without a display name: the locale's, if it has one."""
        if NEUTRAL_NAME_KEY in self.texts.keys(self.texts.default):
            return self.texts.get(self.texts.resolve(language), NEUTRAL_NAME_KEY)
        return neutral_name(language)

    async def start(self) -> None:
        """Ask for each channel's sender lease (a single bot gets them at once) and start the tick."""
        for name, channel in self.channels.items():
            leadership = Leadership(self.db, lease_name("send", name, channel.identity()), self.holder,
                                    partial(self._send, name, channel), self.settings.cluster.lease_seconds)
            await leadership.start()
            self.leaderships.append(leadership)
        self._ticker = asyncio.create_task(self._tick_forever(), name="broadcasts-tick")

    async def _send(self, name: str, channel: Channel) -> None:
        """A channel's sender, while this process holds its lease: cancelled, it stops as at a
        bot's stop (calls in flight finish, rows not sent go back)."""
        async with self.db.transaction() as tx:
            in_flight = await tx.broadcasts.release_in_flight(name)
        if in_flight:
            log.warning("%s: сообщений рассылок осталось в отправке от прежнего отправителя: %d; "
                        "они будут отправлены снова", name, in_flight)
        previous = self.senders.get(name)
        sender = ChannelSender(self.db, channel, self.settings.broadcasts,
                               default_language=self.settings.languages.default, neutral_name=self._neutral_name,
                               metrics=self.metrics, pacer=previous.pacer if previous is not None else None)
        if in_flight and previous is None:
            # Another process was sending and stopped mid-call (killed, or its lease lost): its
            # last second of calls still counts at the platform, so this one starts a second later.
            sender.pacer.hold(asyncio.get_running_loop().time() + WINDOW)
        sender.start()
        self.senders[name] = sender
        log.info("рассылки в канале %s: %.1f вызовов в секунду, %d получателей на вызов, одновременно не больше %d",
                 name, sender.calls_per_second, sender.per_call, sender.window)
        try:
            await asyncio.Event().wait()
        finally:
            await sender.stop(self.settings.broadcasts.stop_grace_seconds)

    async def tick(self) -> tuple[list[int], list[int]]:
        """Start what is due, finish what is done; returns (started, done) broadcast ids."""
        moment = now()
        if not await self.db.reader.broadcasts.anything_to_tick(moment):
            return [], []
        async with self.db.transaction() as tx:
            started = await tx.broadcasts.start_due(moment)
            done = await tx.broadcasts.finish_done()
        for broadcast_id in started:
            log.info("рассылка № %d: пришло её время, отправляем", broadcast_id)
        for broadcast_id in done:
            log.info("рассылка № %d завершена", broadcast_id)
        if started:
            self.wake()
        return started, done

    def wake(self) -> None:
        for sender in self.senders.values():
            sender.wake()

    async def _tick_forever(self) -> None:
        interval = self.settings.broadcasts.check_every_seconds
        while not self._stopping.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception("проверка рассылок не удалась; снова через %.1f с", interval)
            try:
                await asyncio.wait_for(self._stopping.wait(), interval)
            except asyncio.TimeoutError:
                pass

    async def stop(self) -> None:
        self._stopping.set()
        if self._ticker is not None:
            await asyncio.gather(self._ticker, return_exceptions=True)
        results = await asyncio.gather(*(leadership.stop() for leadership in self.leaderships),
                                       return_exceptions=True)
        for leadership, result in zip(self.leaderships, results):
            if isinstance(result, BaseException):
                log.error("отправка рассылок (%s) остановилась не чисто: %r", leadership.name, result)
