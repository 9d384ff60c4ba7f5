"""The VK channel: a community's messages, by Bots Long Poll (default) or the Callback API.

Transport only: ``parse`` maps updates to events, ``names`` puts the senders' names on them,
``render`` turns replies into messages with keyboards and ``merge`` joins a delivery's replies
into as few messages as VK allows; ``transport`` sends the API requests (blocking, so in
threads, paced for the whole token), ``execute`` gathers the calls waiting into one request and
``bulk`` makes a broadcast's calls; ``inbound`` receives (long poll or Callback API). Updates of
both modes go through ``inbound.receive``, which stores each batch before VK is told (the next
``ts``, or the ``ok``) and only then starts processing. The long poll's ``ts`` is kept in the
database (``PollPositions`` of the storage the application hands the channel), so whichever
process of the cluster takes the poll over goes on from it.

What a resident's client can show is learnt from ``client_info`` on their messages and kept in
memory; a resident not heard from since the start gets a normal keyboard, which every client
with keyboards can show.
"""
from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from pathlib import Path
from typing import Any, Awaitable, Callable

from aiohttp import web

from bot.config import Settings
from bot.core.channel import Capabilities, Channel, DeliveryError, Fitted, Inbound, Throughput
from bot.core.events import Photo, ResidentRef
from channels.vk import bulk, merge, parse, render
from channels.vk.inbound import CallbackEndpoint, LongPoll, receive
from channels.vk.names import Names
from channels.vk.transport import VkClient
from storage.attachments import AttachmentStore
from storage.ports.channels import ChannelStorage, PollPositions

log = logging.getLogger(__name__)


class VkChannel(Channel):
    name = parse.NAME
    capabilities: Capabilities = render.INLINE

    def __init__(self, settings: Settings, storage: ChannelStorage, attachments: AttachmentStore) -> None:
        self.settings = settings
        self.vk = settings.vk
        self.attachments = attachments
        self.positions: PollPositions = storage
        self.client = VkClient(self.vk, settings.broadcasts.pace_fraction)
        self.names = Names(self.client, self.vk)
        self.endpoint = CallbackEndpoint(self.vk, self.receive) if self.vk.mode == "callback" else None
        self.support: dict[str, parse.ClientSupport] = {}
        self.core: Inbound | None = None
        self._tasks: set[asyncio.Task] = set()
        self._photo_ids: OrderedDict[str, str] = OrderedDict()  # attachment key → VK photo, newest last

    # -- receiving ------------------------------------------------------------------------------

    def setup_routes(self, app: web.Application, core: Inbound) -> None:
        if self.endpoint is not None:
            self.core = core
            app.router.add_post(self.vk.callback_path, self.endpoint.handle)

    async def start(self, core: Inbound) -> None:
        self.core = core

    def identity(self) -> str:
        assert self.vk.token is not None  # the settings require it
        return self.vk.token.get_secret_value()

    def long_poll(self) -> Callable[[], Awaitable[None]] | None:
        return self._poll if self.vk.mode == "longpoll" else None

    async def _poll(self) -> None:
        """Bots Long Poll until cancelled, from the ``ts`` saved in the database: a process that
        takes the poll over, on any machine, goes on where the last one stored."""
        poller = LongPoll(self.client, self.vk, self.vk.group_id, self.positions, self.receive,
                          old_state_file=self._old_state_file())
        try:
            await poller.run()
        finally:
            poller.close()

    async def stop(self) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=self.vk.request_timeout_seconds)
        self.client.close()

    async def receive(self, updates: list[dict[str, Any]]) -> None:
        """A batch of either mode to the core (``inbound.receive``); then the presses answered."""
        if self.core is None:
            raise RuntimeError("the VK channel receives only after start()")
        for press in await receive(self.core, updates, self.names, self.support):
            self._background(self._answer_press(press))

    async def _answer_press(self, press: dict[str, Any]) -> None:
        """Stop the button's spinner; the reply itself comes as a message.

        Only a ``callback`` button (``message_event``) needs this: VK's client spins on the
        pressed button until the bot calls ``messages.sendMessageEventAnswer`` or the event
        expires after a minute, and a message sent meanwhile does not stop it (vkbottle added
        an empty answer for exactly this, PR #706). A text button sends a message and needs
        nothing. The answer rides in the next ``execute`` with the replies waiting then."""
        try:
            await self.client.call("messages.sendMessageEventAnswer", event_id=press.get("event_id"),
                                   user_id=press.get("user_id"), peer_id=press.get("peer_id"))
        except DeliveryError as error:
            log.warning("ВК: нажатие %s осталось без ответа: %s", press.get("event_id"), error)

    # -- sending --------------------------------------------------------------------------------

    def capabilities_for(self, ref: ResidentRef) -> Capabilities:
        return render.capabilities(self.support.get(ref.external_id, parse.ClientSupport()))

    async def deliver_fitted(self, ref: ResidentRef, messages: list[Fitted]) -> None:
        """The replies as few messages as VK allows (``merge``), one after another: a message
        leaves only once the one before it was accepted, so they arrive in order."""
        support = self.support.get(ref.external_id, parse.ClientSupport())
        for message in merge.messages(messages, support):
            values: dict[str, Any] = {"peer_id": int(ref.external_id), "message": message.text,
                                      "random_id": message.random_id}
            if message.keyboard is not None:
                values["keyboard"] = message.keyboard
            if message.photos:
                values["attachment"] = ",".join([await self._uploaded(int(ref.external_id), key)
                                                 for key in message.photos])
            await self.client.call("messages.send", **values)

    async def _uploaded(self, peer_id: int, key: str) -> str:
        """The VK photo (``photo<owner>_<id>_<access key>``) of a stored picture, uploaded the first
        time it is sent and reused after: a map poll's picture goes to every voter."""
        if key in self._photo_ids:
            self._photo_ids.move_to_end(key)
            return self._photo_ids[key]
        data = await asyncio.to_thread(self.attachments.path_of(key).read_bytes)
        photo = await self.client.upload_photo(peer_id, data, key.rsplit("/", 1)[-1])
        self._photo_ids[key] = photo
        while len(self._photo_ids) > self.vk.uploaded_photos_kept:
            self._photo_ids.popitem(last=False)
        return photo

    def throughput(self) -> Throughput:
        return Throughput(calls_per_second=self.vk.requests_per_second,
                          recipients_per_call=self.vk.broadcast_peers_per_call, idempotent=True)

    def broadcast_capabilities(self) -> Capabilities:
        """A broadcast call carries one keyboard for every recipient: the normal one."""
        return render.capabilities(parse.ClientSupport())

    async def send_fitted_once(self, refs: list[ResidentRef], reply: Fitted,
                               key: str) -> dict[ResidentRef, DeliveryError]:
        """One ``messages.send`` with ``peer_ids`` (see ``channels.vk.bulk``). Residents' clients
        differ, and one call carries one keyboard: it is the normal keyboard every client with
        keyboards shows. A reply longer than one message is one call per part, each part with
        its own ``random_id``."""
        failures: dict[ResidentRef, DeliveryError] = {}
        valid: list[ResidentRef] = []
        for ref in refs:
            if ref.external_id.lstrip("-").isdigit():
                valid.append(ref)
            else:
                failures[ref] = DeliveryError(f"{ref.external_id!r} is not a VK peer id", permanent=True)
        parts = render.render(reply, parse.ClientSupport())
        for index, message in enumerate(parts):
            if not valid:
                break
            part_key = key if index == 0 else f"{key}:{index}"
            values = bulk.send_values(self.vk, [int(r.external_id) for r in valid], message.text,
                                      message.keyboard, part_key)
            failed = await bulk.send(self.client, valid, values)
            failures.update(failed)
            valid = [r for r in valid if r not in failed]
        return failures

    async def download(self, photo: Photo) -> bytes:
        if not photo.remote_id.startswith(("https://", "http://")):
            raise DeliveryError(f"VK photo {photo.remote_id!r} is not a URL", permanent=True)
        return await self.client.download(photo.remote_id, self.settings.proposals.max_photo_bytes)

    # -- helpers --------------------------------------------------------------------------------

    def _old_state_file(self) -> Path:
        """Where an earlier release kept the ``ts``: read once, on the upgrade (``inbound``)."""
        if self.vk.longpoll_state_file:
            return Path(self.vk.longpoll_state_file)
        database = Path(self.settings.storage.path)
        return database.with_name(database.name + ".vk-longpoll.json")

    def _background(self, coroutine) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
