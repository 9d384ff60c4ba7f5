"""The WhatsApp channel over the Cloud API: thin aiohttp code, not ``pywa``.

pywa (4.5) was read and set aside. Its client talks over httpx, a second HTTP stack next to the
aiohttp the bot already runs on; its webhook integration (``WhatsApp(server=…)``) registers its
own routes and runs handlers as updates arrive, with no point at which we can store an update
before Meta is told it arrived; and its send methods wrap errors in exception classes whose
retry semantics we would still have to map to the core's. What this channel needs of the Graph
API is four calls (send a message, upload media, look a media id up, fetch its bytes) and one
HMAC check, so ``channels.whatsapp.transport`` does them directly over one reused aiohttp session.

WhatsApp delivers by webhook only, so the channel has no polling mode: ``setup_routes`` always
adds the webhook (``channels.whatsapp.inbound``), and the operator registers its URL in the Meta
app (docs/whatsapp.md).

The 24-hour customer-service window: a number may get free-form messages only within 24 hours
of its last message to us. The webhook records that time per number (``storage.whatsapp``);
outside the window a reply or broadcast goes as the configured approved template, or, without
one, it is not sent: replies stay pending in the outbox (a transient failure, so the resident is
not marked unreachable), broadcasts are skipped and counted.
"""
from __future__ import annotations

import logging

from aiohttp import web

from bot.config import Settings
from bot.core.channel import Capabilities, Channel, DeliveryError, Fitted, Inbound, Throughput
from bot.core.events import Photo, ResidentRef
from bot.core.replies import Media, Reply
from channels.whatsapp.inbound import Webhook, WindowsBeingWritten
from channels.whatsapp.parse import NAME
from channels.whatsapp.render import media_message, render, template_message
from channels.whatsapp.transport import Graph, GraphError, OutsideWindow
from storage.attachments import AttachmentStore
from storage.ports.channels import WhatsappWindows

log = logging.getLogger(__name__)

class Skipped(DeliveryError):
    """Outside the 24-hour window with no template configured: nothing was sent."""


MIME = {"photo": "image/jpeg", "video": "video/mp4", "document": "application/pdf"}


class WhatsappChannel(Channel):
    name = NAME
    # One button a row and 10 rows: more than 10 buttons (a list's limit) come in pages from the
    # core; ``render`` picks reply buttons (≤ 3 of ≤ 20 characters) or a list (titles ≤ 24, a
    # longer label in full as the row's description, ≤ 72). WhatsApp
    # can ask for a location (location_request_message) but not for the resident's phone; it
    # needs not: the sender's wa_id is the number WhatsApp registered with an SMS to it.
    capabilities = Capabilities(max_text_length=4096, max_buttons_per_row=1, max_button_rows=10,
                                max_button_label=72, inline_buttons=True, request_location=True,
                                request_contact=False, phone_proof="sender")

    def __init__(self, settings: Settings, storage: WhatsappWindows, attachments: AttachmentStore) -> None:
        self.settings = settings.whatsapp
        self.app_settings = settings
        self.storage = storage
        self.attachments = attachments
        missing = self.settings.missing()
        if missing:
            raise ValueError("whatsapp needs " + ", ".join(f"SOUCHASTIE_WHATSAPP_{m.upper()}" for m in missing))
        self.graph = Graph(self.settings)
        self.windows = WindowsBeingWritten()
        self._core: Inbound | None = None
        self._stopped = False

    def setup_routes(self, app: web.Application, core: Inbound) -> None:
        self._core = core
        Webhook(self.settings, core, self.storage, self.windows).register(app)

    async def start(self, core: Inbound) -> None:
        self._core = core

    async def stop(self) -> None:
        self._stopped = True
        await self.graph.close()

    # -- sending -----------------------------------------------------------------------------

    async def _window_open(self, wa_id: str) -> bool:
        await self.windows.written(wa_id)
        return await self.storage.window_open(wa_id, self.settings.service_window_hours)

    def _template(self, reply: Reply) -> dict | None:
        template = self.settings.broadcast_template
        if template is None:
            return None
        return template_message(template.name, template.language,
                                reply.text if template.text_parameter else None)

    async def deliver_fitted(self, ref: ResidentRef, messages: list[Fitted]) -> None:
        if self._stopped:
            raise DeliveryError("the whatsapp channel is stopping")
        to = ref.external_id
        if not await self._window_open(to):
            await self._outside_window(to, [o.reply for o in messages], retry=True)
            return
        for outgoing in messages:
            try:
                await self._send_reply(to, outgoing, retry=True)
            except OutsideWindow:
                # Our record said open, WhatsApp says closed (the clocks disagree): its word counts.
                await self._outside_window(to, [o.reply for o in messages[messages.index(outgoing):]], retry=True)
                return

    async def _outside_window(self, to: str, replies: list[Reply], *, retry: bool) -> None:
        if self.settings.broadcast_template is None:
            raise Skipped(f"{to} has not written for {self.settings.service_window_hours:g} h and "
                                "no approved template is configured")
        for reply in replies:
            message = self._template(reply)
            assert message is not None
            await self.graph.send(to, message, retry=retry)

    async def _send_reply(self, to: str, reply: Fitted, *, retry: bool) -> None:
        for part in reply.parts:
            for item in part.media:
                await self.graph.send(to, await self._media(item), retry=retry)
            for message in render(part):
                await self.graph.send(to, message, retry=retry)

    async def _media(self, item: Media) -> dict:
        if item.file_key:
            mime = MIME.get(item.kind, "application/octet-stream")
            data = self.attachments.path_of(item.file_key).read_bytes()
            media_id = await self.graph.upload(data, mime, item.file_key.rsplit("/", 1)[-1])
            return media_message(item.kind, {"id": media_id})
        return media_message(item.kind, {"link": item.url})

    def throughput(self) -> Throughput:
        return Throughput(calls_per_second=self.settings.messages_per_second, recipients_per_call=1)

    async def send_fitted_once(self, refs: list[ResidentRef], reply: Fitted,
                               key: str) -> dict[ResidentRef, DeliveryError]:
        """One attempt per resident: free-form inside the window, the template outside it, or
        skipped (counted in ``whatsapp_contacts.skipped_broadcasts``) when there is none."""
        failures: dict[ResidentRef, DeliveryError] = {}
        for ref in refs:
            if self._stopped:
                failures[ref] = DeliveryError("the whatsapp channel is stopping")
                continue
            try:
                if await self._window_open(ref.external_id):
                    try:
                        await self._send_reply(ref.external_id, reply, retry=False)
                        continue
                    except OutsideWindow:
                        pass
                await self._outside_window(ref.external_id, [reply.reply], retry=False)
            except GraphError as error:
                failures[ref] = error
            except Skipped as error:
                await self.storage.count_skipped(ref.external_id)
                failures[ref] = error
        return failures

    async def download(self, photo: Photo) -> bytes:
        return await self.graph.download(photo.remote_id, self.app_settings.proposals.max_photo_bytes)
