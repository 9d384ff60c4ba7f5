"""The composition root: builds storage, texts, channels and the dispatcher, and runs them.

This is the one module that knows every part; the parts know only the types in ``bot``.
Channels are the ones registered in ``channels.CHANNELS``, each by its package's ``CHANNEL``;
a channel's class is imported only when that channel is enabled.

Shutdown on SIGTERM/SIGINT, in this order: channels stop receiving; the web server stops
listening and lets requests in flight finish; events being processed finish; the database
closes. Anything acknowledged but not processed by then is in the inbox for the next start.

A start that fails half-way stops what it had started, in the same order, before the failure
goes up as a ``StartupError``: left open, the database's two connection threads would keep the
process from ever exiting.
"""
from __future__ import annotations

import asyncio
import errno
import logging
import signal
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.web import AppRunner

from bot.config import Settings
from bot.core.channel import Channel
from bot.core.dispatcher import Dispatcher
from bot.core.i18n import Texts
from bot.core.plugins import Feature
from bot.maintenance import PRUNE_EVERY_SECONDS, forget_leftovers, keep_tidy
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


async def _healthy(request: web.Request) -> web.StreamResponse:
    return web.json_response({"ok": True})


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

        settings = self.settings
        path = settings.storage.path
        try:
            self.db = await open_database(settings.storage.choice())
        except StorageUnavailable as error:
            raise StartupError(str(error)) from error
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
        self.dispatcher = Dispatcher(self.db, settings, texts, get_routers(), self.channels, attachments)
        if settings.sms.enabled:
            from bot.sms import SmsGateway
            from handlers.sms_codes import JOB, CodeSender

            self.sms = SmsGateway(settings.sms)
            self.dispatcher.on_commit(JOB, CodeSender(self.dispatcher, self.sms))
        # The largest body is a photo upload; JSON bodies are limited by the web chat itself.
        self.web = web.Application(client_max_size=settings.proposals.max_photo_bytes + 64 * 1024)
        self.web.router.add_get("/", _to_the_chat)
        self.web.router.add_get("/healthz", _healthy)
        for channel in self.channels.values():
            channel.setup_routes(self.web, self.dispatcher)
        setup_admin(self.web, self.db, self.dispatcher, settings, texts, self.sms)
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
        self.broadcasts = BroadcastService(self.db, self.channels, texts, settings)
        await self.broadcasts.start()
        self.scheduler = self._schedule(texts, attachments)
        log.info("«Участие» работает на порту %s, каналы: %s", self.port, ", ".join(self.channels))

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
        grace = self.settings.server.shutdown_grace_seconds
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


async def serve(settings: Settings) -> None:
    app = Application(settings)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stopping.set)
    await app.start()
    print(f"«Участие»: откройте http://localhost:{app.port}/chat (остановить: Ctrl+C)", flush=True)
    try:
        await stopping.wait()
    finally:
        log.info("останавливаемся")
        await app.stop()
