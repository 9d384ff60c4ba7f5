"""One bot with every channel on, each webhook channel in webhook mode, against the fake platforms;
and what a fuzz test needs around it: each webhook's valid signature, requests from many loopback
addresses, and the checks that the bot is still whole after an example.

The checks, after each example: every stored event is processed (nothing stays in the inbox),
and no part of the bot logged a traceback (a handler, a delivery or a background task that
crashed, which the HTTP status alone does not show). After each test: a new resident, from an
address never used before, writes "/start" in the web chat and is answered.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import logging
import secrets
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator

import aiohttp
from yarl import URL

from bot.app import Application
from channels.gateway.protocol import SIGNATURE_HEADER as GATEWAY_SIGNATURE, sign as gateway_sign
from tests import stored
from tests.drivers import (
    eventually,
    gateway as gateway_driver,
    load_content_into,
    max as max_driver,
    ok as ok_driver,
    telegram as telegram_driver,
    test_settings,
    vk as vk_driver,
    whatsapp as whatsapp_driver,
)
from tests.fakes.gateway import FakeGateway
from tests.fakes.max import FakeMax
from tests.fakes.ok import FakeOk
from tests.fakes.telegram import FakeTelegram
from tests.fakes.vk import FakeVk
from tests.fakes.whatsapp import FakeGraph
from tests.process import free_port

TELEGRAM_SECRET = "fuzz-telegram-Secret_1"
MAX_SECRET = "fuzz-max-Secret_1"
CONTENT = Path(__file__).resolve().parents[1] / "fixtures" / "content"
WEBCHAT = "/api/webchat/messages"
# The loggers of the bot's own packages: a traceback logged there is a crash, even behind a 200.
OWN_LOGGERS = ("bot", "handlers", "channels", "storage", "broadcasts", "admin")


class Tracebacks(logging.Handler):
    """Keeps every record logged with a traceback by the bot's own code."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.name.split(".")[0] in OWN_LOGGERS:
            self.records.append(record)

    def take(self) -> list[str]:
        taken, self.records = self.records, []
        return [f"{r.name}: {r.getMessage()} — {r.exc_info[0].__name__}: {r.exc_info[1]}" for r in taken]


@dataclass
class Answer:
    status: int
    text: str


@dataclass(repr=False)
class Everything:
    app: Application
    vk: FakeVk
    telegram: FakeTelegram
    max: FakeMax
    whatsapp: FakeGraph
    gateway: FakeGateway
    ok: FakeOk
    tracebacks: Tracebacks
    _clients: dict[str, aiohttp.ClientSession] = field(default_factory=dict)
    _addresses: itertools.count = field(default_factory=lambda: itertools.count(1))

    def __repr__(self) -> str:  # hypothesis prints the test's arguments with a failing example
        return f"<the bot on port {self.app.port} with every channel>"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self))

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.app.port}"

    # -- requests --------------------------------------------------------------------------

    def next_address(self) -> str:
        """A loopback address not used before (127.0.1.1, 127.0.1.2, …): each looks like
        another resident's, so per-address limits meet a new address."""
        number = next(self._addresses)
        return f"127.{1 + number // 65_000 % 200}.{number // 250 % 250}.{1 + number % 250}"

    def client(self, source: str) -> aiohttp.ClientSession:
        if source not in self._clients:
            connector = aiohttp.TCPConnector(local_addr=(source, 0))
            self._clients[source] = aiohttp.ClientSession(connector=connector,
                                                          timeout=aiohttp.ClientTimeout(total=60))
        return self._clients[source]

    async def request(self, method: str, target: str, body: bytes | None = None,
                      headers: dict[str, str] | None = None, source: str = "127.0.0.1") -> Answer:
        """``target`` is a path with its query, sent exactly as written (nothing re-encoded)."""
        url = URL(self.base + target, encoded=True)
        async with self.client(source).request(method, url, data=body, headers=headers or {}) as response:
            return Answer(response.status, (await response.read()).decode("utf-8", "replace"))

    async def post(self, path: str, body: bytes, headers: dict[str, str] | None = None,
                   source: str = "127.0.0.1") -> Answer:
        return await self.request("POST", path, body, {"Content-Type": "application/json", **(headers or {})},
                                  source)

    # -- valid signatures ------------------------------------------------------------------

    def telegram_headers(self) -> dict[str, str]:
        return {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}

    def max_headers(self) -> dict[str, str]:
        return {"X-Max-Bot-Api-Secret": MAX_SECRET}

    def whatsapp_headers(self, body: bytes) -> dict[str, str]:
        digest = hmac.new(self.whatsapp.app_secret.encode(), body, hashlib.sha256).hexdigest()
        return {"X-Hub-Signature-256": "sha256=" + digest}

    def gateway_headers(self, body: bytes) -> dict[str, str]:
        return {GATEWAY_SIGNATURE: gateway_sign(self.gateway.secret, body)}

    # -- is the bot whole? -----------------------------------------------------------------

    async def settled(self, timeout: float = 20) -> list[str]:
        """Wait until every stored event is processed (or set aside as a dead letter); return
        the tracebacks logged meanwhile."""
        async def empty() -> bool:
            return await stored.count(self.app.db, "inbox", processed_at=None, dead_at=None) == 0
        await eventually(empty, timeout)
        return self.tracebacks.take()

    async def alive(self) -> None:
        """A new resident, from a new address, is answered in the web chat."""
        body = f'{{"session": "{secrets.token_hex(16)}", "text": "/start"}}'.encode()
        answer = await self.post(WEBCHAT, body, source=self.next_address())
        assert answer.status == 200 and json.loads(answer.text)["replies"], (answer.status, answer.text[:500])

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()


def environment(vk: FakeVk, telegram: FakeTelegram, max_: FakeMax, whatsapp: FakeGraph,
                gateway: FakeGateway, ok: FakeOk, port: int) -> dict[str, str]:
    """Every channel's settings from its driver, webhook mode wherever a channel has one."""
    return {
        **vk_driver.vk_environment(vk, "callback"),
        **telegram_driver.bot_environment(telegram, SOUCHASTIE_TELEGRAM_MODE="webhook",
                                          SOUCHASTIE_TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET),
        **max_driver.max_environment(max_, SOUCHASTIE_MAX_MODE="webhook", SOUCHASTIE_MAX_WEBHOOK_SECRET=MAX_SECRET),
        **whatsapp_driver.bot_environment(whatsapp),
        **gateway_driver.gateway_environment(gateway),
        **ok_driver.bot_environment(ok, port),
        # A long poll without ?timeout= waits this long: short, so that fuzzed polls end quickly.
        "SOUCHASTIE_WEBCHAT_POLL_TIMEOUT_SECONDS": "0.2",
    }


@asynccontextmanager
async def everything(tmp_path: Path) -> AsyncIterator[Everything]:
    """The bot with every channel on and the polls, quizzes, surveys and contests of the tests'
    content loaded, so that their buttons lead somewhere."""
    async with AsyncExitStack() as stack:
        vk, max_ = FakeVk(), FakeMax()
        await vk.start()
        stack.push_async_callback(vk.stop)
        await max_.start()
        stack.push_async_callback(max_.stop)
        telegram = await FakeTelegram().start()
        stack.push_async_callback(telegram.close)
        whatsapp = await FakeGraph().start()
        stack.push_async_callback(whatsapp.close)
        gateway = await FakeGateway().start()
        stack.push_async_callback(gateway.close)
        ok = await FakeOk().start()
        stack.push_async_callback(ok.close)
        tracebacks = Tracebacks()
        logging.getLogger().addHandler(tracebacks)
        stack.callback(logging.getLogger().removeHandler, tracebacks)
        app = Application(test_settings(tmp_path, **environment(vk, telegram, max_, whatsapp, gateway, ok,
                                                                  free_port())))
        await app.start()
        stack.push_async_callback(app.stop)
        assert set(app.channels) == {"webchat", "telegram", "vk", "max", "whatsapp", "gateway", "ok"}
        await eventually(lambda: telegram.webhook and max_.subscriptions and ok.subscriptions)
        for name in ("polls.yaml", "quizzes_contests.yaml", "survey.yaml"):
            await load_content_into(app, CONTENT / name)
        world = Everything(app, vk, telegram, max_, whatsapp, gateway, ok, tracebacks)
        stack.push_async_callback(world.close)
        yield world
