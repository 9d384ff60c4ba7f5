"""The composition root: builds storage, texts, channels and the dispatcher, and runs them.

This is the one module that knows every part; the parts know only the types in ``bot``.
Channels are the ones registered in ``channels.CHANNELS``, each by its package's ``CHANNEL``;
a channel's class is imported only when that channel is enabled.

Several processes may run on one database (``cluster`` in config.yaml): the work that must run
once in the cluster — each long poll, each broadcast sender (per platform token) and the
scheduler — runs where its lease is held (``bot.leadership``); webhooks, the web chat and the
panel are served by every process. A single process takes every lease at once.

Shutdown on SIGTERM/SIGINT, in this order: ``/readyz`` answers 503 (a load balancer stops
sending new requests); channels stop receiving (long polls first, their leases released for
another process to take); the web server stops
listening and lets requests in flight finish; events being processed finish; the database
closes. Anything acknowledged but not processed by then is in the inbox for the next start.

A start that fails half-way stops what it had started, in the same order, before the failure
goes up as a ``StartupError``: left open, the database's two connection threads would keep the
process from ever exiting.
"""
from __future__ import annotations

import asyncio
import errno
import functools
import logging
import signal
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Awaitable, Callable

from aiohttp import web
from aiohttp.web import AppRunner

from bot.config import Settings
from bot.core.channel import Channel
from bot.core.dispatcher import Dispatcher
from bot.core.i18n import Texts
from bot.core.metrics import Metrics
from bot.core.plugins import Feature
from bot.leadership import Leadership, holder_id, lease_name
from bot.maintenance import PRUNE_EVERY_SECONDS, forget_leftovers, keep_tidy
from bot.operations import MetricsAccess, Readiness, setup_operations
from bot.running import RunningMark
from bot.scheduler import Scheduler
from storage.attachments import AttachmentStore
from storage.channel_storage import ChannelStorage
from storage.open import StorageUnavailable, open_database
from storage.ports.repositories import Database

if TYPE_CHECKING:
    from bot.sms import SmsGateway
    from broadcasts.service import BroadcastService

log = logging.getLogger(__name__)

SCHEDULER_LEASE = "scheduler"


class StartupError(Exception):
    """The bot cannot start; the text, one line for staff, names the setting or the file."""


def enabled_channels(settings: Settings) -> list[str]:
    """The registered channels (``channels.CHANNELS``) that are switched on, in their order."""
    from channels import CHANNELS

    return [package.name for package in CHANNELS if package.enabled(settings)]


def load_channel(name: str, settings: Settings, storage: ChannelStorage, attachments: AttachmentStore) -> Channel:
    from channels import CHANNELS

    package = next(package for package in CHANNELS if package.name == name)
    return package.build(settings, storage, attachments)


def registered_features() -> list[Feature]:
    """Every feature's registration, in one order: the handlers', the panel's, the broadcasts'."""
    import admin
    import broadcasts
    import handlers

    return [*handlers.features(), *admin.features(), *broadcasts.features()]



async def _to_the_chat(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/chat")


@dataclass
class Application:
    settings: Settings
    db: Database | None = None
    dispatcher: Dispatcher | None = None
    channels: dict[str, Channel] = field(default_factory=dict)
    web: web.Application | None = None
    runner: AppRunner | None = None
    port: int | None = None
    scheduler: Scheduler | None = None
    broadcasts: BroadcastService | None = None
    sms: SmsGateway | None = None
    running: RunningMark | None = None  # tells staff commands (broadcast watch) that a bot runs
    texts: Texts | None = None
    metrics: Metrics = field(default_factory=Metrics)   # this bot's figures, its own registry
    readiness: Readiness = field(default_factory=Readiness)
    holder: str = field(default_factory=holder_id)   # this process among the cluster's (bot.leadership)
    leaderships: list[Leadership] = field(default_factory=list)   # the long polls and the scheduler

    async def start(self) -> None:
        """Start everything, or, when a part cannot start, stop what had started and raise."""
        try:
            await self._start()
        except BaseException:
            try:
                await self.stop()
            except Exception as error:  # the failure to start is what staff must see
                log.warning("после неудачного запуска не всё остановилось чисто: %r", error)
            raise

    async def _start(self) -> None:
        from admin.app import setup_admin
        from broadcasts.service import BroadcastService
        from handlers import LOCALES, get_routers
        from public.app import setup_public

        settings = self.settings
        path = settings.storage.path
        try:
            self.db = await open_database(settings.storage.choice())
        except StorageUnavailable as error:
            raise StartupError(str(error)) from error
        self.readiness.db, self.readiness.timeout = self.db, settings.server.readiness_timeout_seconds
        self.running = RunningMark(path)
        self.running.hold()
        files = settings.storage
        attachments = AttachmentStore(files.attachments_dir, quota_bytes=files.attachments_quota_mb * 1024 * 1024,
                                      max_pixels=files.max_image_pixels)
        texts = self.texts = Texts.load(LOCALES, settings.languages.default)
        for name in enabled_channels(settings):
            try:
                self.channels[name] = load_channel(name, settings, ChannelStorage(self.db), attachments)
            except ValueError as error:  # the settings check each channel's section; this is a last guard
                raise StartupError(f"канал {name}: {error}") from error
        self.dispatcher = Dispatcher(self.db, settings, texts, get_routers(), self.channels, attachments,
                                     self.metrics)
        if settings.sms.enabled:
            from bot.sms import SmsGateway
            from handlers.sms_codes import JOB, CodeSender

            self.sms = SmsGateway(settings.sms)
            self.dispatcher.on_commit(JOB, CodeSender(self.dispatcher, self.sms))
        # The largest body is a photo upload; JSON bodies are limited by the web chat itself.
        self.web = web.Application(client_max_size=settings.proposals.max_photo_bytes + 64 * 1024)
        self.web.router.add_get("/", _to_the_chat)
        setup_operations(self.web, self.metrics, self.readiness, MetricsAccess.from_settings(settings.server))
        for channel in self.channels.values():
            channel.setup_routes(self.web, self.dispatcher)
        setup_admin(self.web, self.db, self.dispatcher, settings, texts, self.sms)
        setup_public(self.web, self.db, settings, texts)
        await self.dispatcher.recover()
        from handlers.sms_codes import after_restart

        await after_restart(self.dispatcher)  # codes whose SMS the last stop cut short
        self.runner = web.AppRunner(self.web, shutdown_timeout=settings.server.shutdown_grace_seconds,
                                    access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, settings.server.host, settings.server.port)
        try:
            await site.start()
        except OSError as error:
            reason = "занят" if error.errno == errno.EADDRINUSE else f"недоступен ({error.strerror or error})"
            raise StartupError(f"адрес {settings.server.host}:{settings.server.port} (server.host, server.port) "
                               f"{reason}") from error
        self.port = self.runner.addresses[0][1]
        for channel in self.channels.values():
            try:
                await channel.start(self.dispatcher)
            except Exception as error:
                raise StartupError(f"канал {channel.name} не запустился: {error}") from error
        for channel in self.channels.values():
            if (poll := channel.long_poll()) is not None:
                await self._lead(lease_name("receive", channel.name, channel.identity()),
                                 functools.partial(self._receive, channel.name, poll))
        self.broadcasts = BroadcastService(self.db, self.channels, texts, settings, self.metrics, holder=self.holder)
        await self.broadcasts.start()
        await self._lead(SCHEDULER_LEASE, lambda: self._keep_schedule(texts, attachments))
        self.readiness.state = "ready"
        log.info("«Участие» работает на порту %s, каналы: %s", self.port, ", ".join(self.channels))

    async def _receive(self, channel: str, poll: Callable[[], Awaitable[None]]) -> None:
        """A long poll, while this process holds its lease. What the last receiver stored and did
        not process (it was killed, and this process took over) is processed first: each
        resident's updates are then processed in the order they came, across the takeover."""
        assert self.dispatcher is not None
        await self.dispatcher.recover_channel(channel)
        await poll()

    async def _lead(self, name: str, work: Callable[[], Awaitable[None]]) -> None:
        assert self.db is not None
        leadership = Leadership(self.db, name, self.holder, work, self.settings.cluster.lease_seconds)
        await leadership.start()
        self.leaderships.append(leadership)

    async def _keep_schedule(self, texts: Texts, attachments: AttachmentStore) -> None:
        """The scheduler, while this process holds the scheduler's lease.

        Jobs fire once in the cluster because one process runs them all, rather than each
        process claiming each firing by a (job, slot) row: the jobs are interval jobs started at
        each process's own moment, so their slots would not line up between processes, and the
        jobs already look in the database for what is due and do nothing twice (an episode is
        marked announced in the transaction that makes its broadcast; a poll's results are
        marked sent). A new holder runs every job at once, as a restarted bot does; a job still
        running in the old holder when it lost the lease may overlap that first run. The inbox
        retries are one of these jobs, so one process retries the events left unprocessed."""
        scheduler = self._schedule(texts, attachments)
        try:
            await asyncio.Event().wait()
        finally:
            scheduler.stop()
            if self.scheduler is scheduler:
                self.scheduler = None

    def _schedule(self, texts: Texts, attachments: AttachmentStore) -> Scheduler:
        assert self.db is not None and self.dispatcher is not None  # started before the jobs
        db, dispatcher = self.db, self.dispatcher
        scheduler = self.scheduler = Scheduler()
        files = self.settings.storage
        scheduler.every(PRUNE_EVERY_SECONDS, "housekeeping",
                        lambda: keep_tidy(db, files.processed_update_retention_days, attachments,
                                          files.attachments_grace_hours))
        # Stored events left unprocessed (a failed background processing, a crash mid-way) are
        # tried again while the bot runs, not only by ``recover`` at the next start.
        scheduler.every(self.settings.inbox.retry_every_seconds, "inbox retries", dispatcher.retry_stored)
        scheduler.every(self.settings.privacy.cleanup_every_seconds, "erasure leftovers",
                        lambda: forget_leftovers(db))
        for feature in registered_features():   # poll results, episodes, the weekly report, …
            for job in feature.jobs:
                scheduler.every(job.every(self.settings), job.name, job.build(self))
        scheduler.start()
        return scheduler

    async def stop(self) -> None:
        was_ready, self.readiness.state = self.readiness.state == "ready", "stopping"
        if was_ready and self.settings.server.unready_seconds > 0:
            # Everything still works while a load balancer polling /readyz sees the 503 and stops sending.
            await asyncio.sleep(self.settings.server.unready_seconds)
        grace = self.settings.server.shutdown_grace_seconds
        await asyncio.gather(*(leadership.stop() for leadership in self.leaderships))
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.broadcasts is not None:
            await self.broadcasts.stop()
        for channel in self.channels.values():
            try:
                await channel.stop()
            except Exception:
                log.exception("канал %s остановился не чисто", channel.name)
        if self.runner is not None:
            await self.runner.cleanup()
        if self.dispatcher is not None:
            await self.dispatcher.drain(grace)
        if self.sms is not None:
            await self.sms.close()
        if self.db is not None:
            await self.db.close()
        if self.running is not None:
            self.running.release()


async def serve(settings: Settings, announce: bool = True) -> None:
    """Run until SIGTERM or SIGINT. ``announce``: print where the web chat is (a person is
    watching; not when every line must be a JSON log line)."""
    app = Application(settings)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stopping.set)
    await app.start()
    if announce:
        print(f"«Участие»: откройте http://localhost:{app.port}/chat (остановить: Ctrl+C)", flush=True)
    try:
        await stopping.wait()
    finally:
        log.info("останавливаемся")
        await app.stop()
