"""Test drivers: a simulated resident per channel, all with one interface (``Resident``).

A channel's driver module ``tests/drivers/<channel>.py`` exposes ``world(tmp_path)``, an async
context manager that starts whatever that channel needs (fake platform servers on loopback,
the real client library pointed at them) and the bot itself, and yields a ``World`` whose
``resident(n)`` plays the n-th resident. The journey tests run over every module named in
``JOURNEY_CHANNELS``, so one scenario proves every channel.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncContextManager, Callable, Protocol

from bot.app import Application
from bot.config import Settings, load_settings
from tests import postgres, stored

ROOT = Path(__file__).resolve().parents[2]
CAMPAIGN = ROOT / "content" / "campaign.yaml"  # what a town runs: the end-to-end tests load it


def with_campaign(channels: list[str]) -> list:
    """(channel, whether the shipped campaign is loaded) for a test run on every channel with the
    campaign loaded, as a town runs it: a menu or keyboard limit cannot hide behind no content."""
    import pytest

    return [pytest.param((name, True), id=name) for name in channels]


JOURNEY_CHANNELS = ["webchat", "vk", "telegram", "max", "whatsapp", "gateway", "ok"]


@dataclass
class BotMessage:
    text: str
    buttons: list[list[dict[str, Any]]] = field(default_factory=list)

    @property
    def payloads(self) -> list[str]:
        return [b["payload"] for row in self.buttons for b in row if b.get("payload")]

    def requests(self) -> list[str]:
        return [b["request"] for row in self.buttons for b in row if b.get("request")]


class Resident(Protocol):
    async def send_text(self, text: str) -> list[BotMessage]: ...

    async def press(self, payload: str) -> list[BotMessage]: ...

    async def send_location(self, latitude: float, longitude: float) -> list[BotMessage]: ...

    async def send_photo(self, data: bytes) -> list[BotMessage]: ...


class RepliesFromFake:
    """For drivers whose fake records what the bot sent: the driver says how to read the new
    messages (``new_messages``); ``later`` waits for replies the bot sent on its own."""

    def new_messages(self) -> list[BotMessage]:
        raise NotImplementedError

    async def later(self, timeout: float = 10) -> list[BotMessage]:
        """What the bot sent this resident on its own (not in reply to an action of theirs)
        since the last look, waiting up to ``timeout`` seconds for at least one message."""
        return await eventually(self.new_messages, timeout)


async def load_content_into(app: Application, path: Path) -> None:
    """Store a content file's polls, quizzes, surveys, contests and episode series, as
    `content load` does (the series too: aired episodes add «Серии» to the main menu)."""
    from bot.content import load_content, storable, storable_series

    content = load_content(path, topics={topic.key for topic in app.settings.subscriptions.topics},
                           time_zone=app.settings.project.time_zone)
    async with app.db.transaction() as tx:
        await tx.content.store(storable(content))
        await tx.episodes.store(storable_series(content))


class World(Protocol):
    app: Application

    def resident(self, number: int) -> Resident: ...


# Every simulated resident comes from 127.0.0.1, as if all lived behind one NAT: the web chat's
# per-address ceilings are lifted (the tests of those ceilings set their own); per-session stay.
ONE_ADDRESS_FOR_ALL = {
    "SOUCHASTIE_WEBCHAT_MESSAGES_PER_MINUTE_PER_ADDRESS": "1000000",
    "SOUCHASTIE_WEBCHAT_UPLOAD_MB_PER_HOUR_PER_ADDRESS": "1000000",
    "SOUCHASTIE_WEBCHAT_LONG_POLLS_PER_ADDRESS": "100000",
}


def test_settings(tmp_path: Path, **environment: str) -> Settings:
    """The shipped config.yaml with a private database, files and a free port."""
    base = {
        "SOUCHASTIE_STORAGE_PATH": str(tmp_path / "souchastie.db"),
        "SOUCHASTIE_STORAGE_ATTACHMENTS_DIR": str(tmp_path / "attachments"),
        "SOUCHASTIE_SERVER_HOST": "127.0.0.1",
        "SOUCHASTIE_SERVER_PORT": "0",
        "SOUCHASTIE_SERVER_SHUTDOWN_GRACE_SECONDS": "3",
        **ONE_ADDRESS_FOR_ALL,
    }
    if postgres.on_postgresql() and "SOUCHASTIE_STORAGE_URL" not in environment:
        base["SOUCHASTIE_STORAGE_URL"] = postgres.stand_in(environment.get("SOUCHASTIE_STORAGE_PATH",
                                                                          base["SOUCHASTIE_STORAGE_PATH"]))
    return load_settings(ROOT / "config.yaml", {**base, **environment})


test_settings.__test__ = False  # a helper that test modules import, not a test


async def eventually(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
    """Poll ``check`` (sync or async) until it returns a truthy value; fail after ``timeout``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


def load_world(channel: str) -> Callable[[Path], AsyncContextManager[World]]:
    import importlib

    return importlib.import_module(f"tests.drivers.{channel}").world


async def wait_handled(app: Application, channel: str, update_id: str, timeout: float = 10.0) -> None:
    """Wait until an update is stored, processed, and its replies handed to the channel."""
    watch = _HANDLED_WATCHES.get(id(app))
    if watch is None or watch.app is not app or watch.loop is not asyncio.get_running_loop():
        watch = _HANDLED_WATCHES[id(app)] = _HandledWatch(app)
    await watch.wait(channel, update_id, timeout)


class _HandledWatch:
    """One poll of the inbox for every resident of an application waiting on an update.

    With hundreds of residents in flight (the poll replay), one query per resident every tick
    crowded the bot's own reads off the shared reader connection; one query for all of them
    asks the same question per update: stored, processed, and nothing of it pending."""

    INTERVAL = 0.02
    PAIRS_PER_QUERY = 400  # two parameters a pair, under SQLite's smallest variable limit

    def __init__(self, app: Application) -> None:
        self.app = app
        self.loop = asyncio.get_running_loop()
        self.waiting: dict[tuple[str, str], list[asyncio.Future[None]]] = {}
        self.poller: asyncio.Task[None] | None = None

    async def wait(self, channel: str, update_id: str, timeout: float) -> None:
        done: asyncio.Future[None] = self.loop.create_future()
        key = (channel, str(update_id))
        self.waiting.setdefault(key, []).append(done)
        if self.poller is None or self.poller.done():
            self.poller = asyncio.create_task(self._poll())
        try:
            await asyncio.wait_for(asyncio.shield(done), timeout)
        except TimeoutError:
            raise AssertionError(f"condition not met within {timeout} s") from None
        finally:
            waiters = self.waiting.get(key, [])
            if done in waiters:
                waiters.remove(done)
                if not waiters:
                    del self.waiting[key]

    async def _poll(self) -> None:
        try:
            await self._poll_while_waited()
        finally:  # idle: forget the application, so a stopped one is not kept alive
            if _HANDLED_WATCHES.get(id(self.app)) is self and not self.waiting:
                del _HANDLED_WATCHES[id(self.app)]

    async def _poll_while_waited(self) -> None:
        while self.waiting:
            try:
                finished = await self._finished(list(self.waiting))
            except Exception as error:  # the database closed under a waiter: each sees why
                for key in list(self.waiting):
                    for done in self.waiting.pop(key):
                        if not done.done():
                            done.set_exception(error)
                return
            for key in finished:
                for done in self.waiting.pop(key, []):
                    if not done.done():
                        done.set_result(None)
            await asyncio.sleep(self.INTERVAL)

    async def _finished(self, keys: list[tuple[str, str]]) -> list[tuple[str, str]]:
        finished = []
        for start in range(0, len(keys), self.PAIRS_PER_QUERY):
            chunk = keys[start:start + self.PAIRS_PER_QUERY]
            finished.extend(await stored.settled_updates(self.app.db, chunk))
        return finished


_HANDLED_WATCHES: dict[int, _HandledWatch] = {}  # by id(app): an Application is not hashable
