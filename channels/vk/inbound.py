"""How updates reach the VK channel: Bots Long Poll (default) or the Callback API, both through
``receive``, which stores each batch before VK is told (the next ``ts``, or the ``ok``) and only
then starts processing it.

Bots Long Poll, with ``ts`` advanced only after a batch is stored.

vk_api's ``VkBotLongPoll.check`` moves its ``ts`` forward as soon as an answer arrives, before
the caller has seen the updates, and keeps it only in memory; after a crash, a fresh
``groups.getLongPollServer`` returns the current ``ts`` and whatever was received but not yet
stored is skipped for good. So this loop is our own, on the channel's client (for
``groups.getLongPollServer``) and a ``requests`` session (for the poll itself, as vk_api does):

1. every update of an answer is handed to ``receive`` (which stores it in the inbox);
2. only then is the answer's ``ts`` saved in the database (``PollPositions``, keyed by the
   community), and requested;
3. at start, the saved ``ts`` is used with the new key, so a batch cut short by a crash is
   fetched again; its updates carry the same ids and are recognised as duplicates.

VK remembers nothing for us (unlike Telegram's offset or MAX's marker, which the platform keeps
until told): the ``ts`` is ours to keep. It is in the database, not in a file, because the poll
runs in one process of the cluster and moves, when that process dies, to another — perhaps on
another machine, which could not read a file beside the dead one's. Earlier releases kept it in
a state file (``vk.longpoll_state_file``); when the database has no ``ts`` for the community
yet, that file's is carried over once, so an upgrade skips nothing, and the file is never
written again.

``failed`` answers are handled as VK documents them: 1 (history lost) — continue from the
``ts`` given; 2 (key expired) — new key, same ``ts``; 3 (information lost) — new key and ``ts``.

The Callback API endpoint: VK POSTs each event to ``callback_path``.

The ``secret`` VK puts in every event (set in the community's Callback API settings) is
checked before anything else is looked at; a wrong or missing one gets 403 and nothing is
stored. Being inside the body, it can be checked only once the body is read as JSON: a body that
is not a JSON object cannot show it and gets 400. Once checked, the secret is taken out of the
event, so neither the stored update nor a dead letter carries it.

``confirmation`` is answered with the code VK showed the operator. Every other event is stored
(an event that cannot be read, as a dead letter) and then answered with a plain ``ok``, which is
VK's acknowledgement; VK retries an event it did not get ``ok`` for (``X-Retry-Counter``) with
the same ``event_id``, and the inbox recognises it, so a retry is processed once.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable

import requests
from aiohttp import web

from bot.core.channel import DeliveryError, Inbound
from bot.core.events import Event, Kind
from bot.core.storable import storable_text
from channels.body import BodyRefused, Unparseable, load_json, read_body
from channels.vk import parse
from channels.vk.names import Names
from channels.vk.settings import VkSettings
from channels.vk.transport import VkClient, in_daemon_thread
from storage.ports.channels import PollPositions

log = logging.getLogger(__name__)

RETRY_PAUSE_LIMIT = 30.0


async def receive(core: Inbound, updates: list[dict[str, Any]], names: Names,
                  support: dict[str, parse.ClientSupport]) -> list[dict[str, Any]]:
    """Store a batch, every update before VK learns it arrived; then process the new ones.

    The senders' names are looked up first (``names``) and put on their events; what a sender's
    client can show is noted in ``support``. An update that cannot be read is kept as a dead
    letter, so that neither a callback retry nor the long poll's next round brings it back.
    The events are stored in one commit and then processed (``core.submit``); raises when
    storing fails, and VK then sends the batch again. Returns the button presses newly stored,
    whose spinners the channel stops."""
    readings: list[tuple[dict[str, Any], parse.Reading | None, str]] = []
    for update in updates:
        try:
            readings.append((update, parse.parse(update), ""))
        except parse.NotAnUpdate as error:
            readings.append((update, None, str(error)))
    known = await names.of(reading.event.ref.external_id for _, reading, _ in readings
                           if reading is not None and reading.event is not None
                           and reading.event.kind is not Kind.REACHABILITY)
    events: list[Event] = []
    presses: list[dict[str, Any] | None] = []
    for update, reading, problem in readings:
        if reading is None:
            await core.accept_unparseable(parse.NAME, update, problem)
            continue
        if reading.support is not None:
            support[reading.support[0]] = reading.support[1]
        event = reading.event
        if event is None:
            continue
        if known.get(event.ref.external_id):
            event = event.model_copy(update={"display_name": storable_text(known[event.ref.external_id])})
        events.append(event)
        presses.append(update["object"] if update.get("type") == "message_event" else None)
    stored = await core.submit(events) if events else []
    return [press for inbox_id, press in zip(stored, presses) if inbox_id is not None and press is not None]


class LongPoll:
    def __init__(self, client: VkClient, settings: VkSettings, group_id: int, positions: PollPositions,
                 receive: Callable[[list[dict[str, Any]]], Awaitable[None]],
                 old_state_file: Path | None = None) -> None:
        self.client = client
        self.settings = settings
        self.group_id = group_id
        self.positions = positions
        self.old_state_file = old_state_file  # an earlier release's, read once (the module's docstring)
        self.receive = receive
        self.session = requests.Session()
        self.server = self.key = ""
        self.ts: str | None = None
        self.loaded = False
        self.failures = 0

    async def run(self) -> None:
        while True:
            try:
                if not self.group_id:
                    self.group_id = await self._own_group_id()
                if not self.loaded:
                    self.ts, self.loaded = await self._load_ts(), True
                if not self.key:
                    await self._new_server(keep_ts=self.ts is not None)
                answer = await in_daemon_thread(self._check, self.server, self.key, self.ts)
                await self._handle(answer)
                self.failures = 0
            except (DeliveryError, requests.RequestException, ValueError, KeyError, TypeError) as error:
                await self._pause(error)
            except Exception as error:  # the database, a bug: log, wait, try the same ts again
                log.exception("ВК long poll: пачку не удалось сохранить")
                await self._pause(error)

    def close(self) -> None:
        self.session.close()

    # -- one round ------------------------------------------------------------------------------

    async def _own_group_id(self) -> int:
        """With a community token, ``groups.getById`` without ids names the community itself."""
        answer = await self.client.call("groups.getById")
        groups = answer.get("groups", []) if isinstance(answer, dict) else answer
        if not groups or not isinstance(groups[0], dict) or not groups[0].get("id"):
            raise ValueError("VK did not say which community the token belongs to; set vk.group_id")
        return int(groups[0]["id"])

    async def _new_server(self, *, keep_ts: bool) -> None:
        answer = await self.client.call("groups.getLongPollServer", group_id=self.group_id)
        self.server, self.key = answer["server"], answer["key"]
        if not keep_ts:
            self.ts = str(answer["ts"])
            await self._save_ts(self.ts)

    def _check(self, server: str, key: str, ts: str) -> dict[str, Any]:
        wait = self.settings.wait_seconds
        response = self.session.get(server, params={"act": "a_check", "key": key, "ts": ts, "wait": wait},
                                    timeout=wait + self.settings.request_timeout_seconds)
        response.raise_for_status()
        answer = response.json()
        if not isinstance(answer, dict):
            raise ValueError("the long-poll answer is not a JSON object")
        return answer

    async def _handle(self, answer: dict[str, Any]) -> None:
        match answer.get("failed"):
            case None:
                updates = answer["updates"]
                if not isinstance(updates, list):
                    raise ValueError("the long-poll answer has no list of updates")
                await self.receive([u for u in updates if isinstance(u, dict)])
                await self._advance(str(answer["ts"]))
            case 1:
                log.warning("ВК long poll: история до ts %s потеряна; продолжаем с %s", self.ts, answer["ts"])
                await self._advance(str(answer["ts"]))
            case 2:
                await self._new_server(keep_ts=True)
            case 3:
                log.warning("ВК long poll: сведения потеряны; начинаем заново с текущего ts ВК")
                await self._new_server(keep_ts=False)
            case other:
                raise ValueError(f"unknown long-poll failure {other!r}")

    async def _advance(self, ts: str) -> None:
        await self._save_ts(ts)
        self.ts = ts

    async def _pause(self, error: BaseException) -> None:
        self.failures += 1
        pause = min(self.settings.retry_backoff_seconds * 2 ** (self.failures - 1), RETRY_PAUSE_LIMIT)
        log.warning("ВК long poll: %s; снова через %.1f с", error, pause)
        if self.failures >= 3:
            self.key = ""  # perhaps the server moved: ask for it again
        await asyncio.sleep(pause)

    # -- the saved ts ---------------------------------------------------------------------------

    async def _load_ts(self) -> str | None:
        """The ``ts`` saved for this community; else, once, an earlier release's state file's."""
        saved = await self.positions.position(parse.NAME, str(self.group_id))
        if saved is not None or self.old_state_file is None:
            return saved
        old = await asyncio.to_thread(self._old_file_ts, self.old_state_file)
        if old is not None:
            await self._save_ts(old)
            log.info("ВК long poll: ts %s перенесён из файла %s в базу данных; файл больше не нужен",
                     old, self.old_state_file)
        return old

    def _old_file_ts(self, path: Path) -> str | None:
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(state, dict) or state.get("group_id") != self.group_id or "ts" not in state:
            return None
        return str(state["ts"])

    async def _save_ts(self, ts: str) -> None:
        """Committed before the next request carries it: VK must never be told of a batch the
        database does not hold."""
        await self.positions.save_position(parse.NAME, str(self.group_id), ts)


SECRET_FIELD = "secret"


class CallbackEndpoint:
    def __init__(self, settings: VkSettings, receive: Callable[[list[dict[str, Any]]], Awaitable[None]]) -> None:
        if settings.callback_secret is None or not settings.confirmation_code:
            raise ValueError("vk.mode is callback: set SOUCHASTIE_VK_CALLBACK_SECRET and vk.confirmation_code")
        self.settings = settings
        self.secret = settings.callback_secret.get_secret_value().encode()
        self.receive = receive

    async def handle(self, request: web.Request) -> web.Response:
        try:
            body = await read_body(request, self.settings.callback_max_body_bytes)
            update = load_json(body)
        except BodyRefused as refused:
            return _text(refused.reason, refused.status)
        except Unparseable as error:
            return _text(str(error), 400)
        if not isinstance(update, dict):
            return _text("the body is not a JSON object", 400)
        secret = update.pop(SECRET_FIELD, None)
        if not isinstance(secret, str) or not hmac.compare_digest(secret.encode(), self.secret):
            log.warning("ВК callback без верного секрета от %s отклонён", request.remote)
            return _text("forbidden", 403)
        group = update.get("group_id")
        if self.settings.group_id and group != self.settings.group_id:
            log.warning("ВК callback для сообщества %r отклонён (наше — %s)", group, self.settings.group_id)
            return _text("forbidden", 403)
        if update.get("type") == "confirmation":
            return _text(self.settings.confirmation_code)
        retry = request.headers.get("X-Retry-Counter")
        if retry:
            log.info("ВК callback %.40s (%.40s) пришёл повторно, повтор %.8s",
                     update.get("type"), update.get("event_id"), retry)
        await self.receive([update])
        return _text("ok")


def _text(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/plain")
