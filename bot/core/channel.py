"""What a channel adapter is to the core, and what the core is to a channel adapter.

A channel turns platform updates into ``Event``s and hands them to the core (``Inbound``), and
turns the core's replies into platform calls (``Channel.deliver``). It declares its limits in
``Capabilities`` so that replies are fitted to the platform before they are sent
(``bot.core.rendering.fit``). Adapters compose an SDK client; they never subclass the core.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from aiohttp import web

from bot.core.events import Event, Photo, ResidentRef
from bot.core.i18n import Texts
from bot.core.replies import Reply


@dataclass(frozen=True)
class Capabilities:
    max_text_length: int = 4096
    max_buttons_per_row: int = 3
    max_button_rows: int = 10
    # Buttons in one keyboard, where the platform counts them apart from its grid (VK: 10 inline,
    # 40 in a normal keyboard); 0 means the grid's rows × columns.
    max_buttons: int = 0
    max_button_label: int = 64
    inline_buttons: bool = True
    request_location: bool = True
    request_contact: bool = True
    # A button can open the client's own photo picker (the web chat's page); elsewhere a photo is
    # sent with the messenger's attachment button, and a button asking for one is its payload.
    request_photo: bool = False
    # The platform may show the numbered text of a reply instead of its buttons (the gateway's
    # fallback_text): a typed number presses a button there whatever the keyboard.
    numbers_shown: bool = False
    # Replies are read by the client from the outbox (the web chat) instead of being pushed.
    pull_delivery: bool = False
    # How the platform vouches for a resident's phone number: "contact", a shared contact card it
    # marks as the sender's own (``Contact.verified``); "sender", the sender's id is the number
    # itself (WhatsApp's wa_id); "" not at all (a one-time code by SMS is then the way).
    phone_proof: Literal["", "contact", "sender"] = ""

    @property
    def button_capacity(self) -> int:
        grid = self.max_buttons_per_row * self.max_button_rows
        return min(self.max_buttons, grid) if self.max_buttons else grid


@dataclass(frozen=True)
class Outgoing:
    """A reply with its outbox id: the id is the idempotency key for platforms that have one."""

    id: int
    reply: Reply


class DeliveryError(Exception):
    """A send failed. ``permanent`` means retrying cannot help (blocked, deleted, forbidden);
    ``unknown`` means the request may have reached the platform (a time-out after it was sent),
    so repeating it could deliver twice where the platform has no idempotency key."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None,
                 unknown: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.unknown = unknown


@dataclass(frozen=True)
class Throughput:
    """How fast a platform lets one bot send: API calls a second (a setting with the platform's
    documented ceiling as default), and how many recipients one call may name (VK: 100)."""

    calls_per_second: float
    recipients_per_call: int = 1
    # The platform honours an idempotency key (VK's random_id): an unknown outcome may be retried.
    idempotent: bool = False


@dataclass(frozen=True)
class Step:
    """Where a resident stands, for a channel that draws its own page (the web chat): the language
    they chose ("" until they choose one) and whether the step they are at takes photos, so the
    page can show its own «add a photo» button there and speak the resident's language."""

    language: str = ""
    takes_photos: bool = False


@dataclass(frozen=True)
class Handled:
    """What the core answers a channel that hands it an event and waits (``Inbound.handle``)."""

    inbox_id: int | None
    duplicate: bool
    replies: list[Outgoing]
    # Set when the event could not be processed and not even its failure could be written:
    # nothing is stored, the resident should send it again. The reply says so; it has no id.
    not_processed: Reply | None = None
    # Where the resident is now, when this event was processed here (else ask ``step_of``).
    step: Step | None = None


class Inbound(Protocol):
    """The core, as a channel sees it (``texts``: for a channel's own answers, e.g. HTTP errors)."""

    texts: Texts

    async def submit(self, events: list[Event]) -> list[int | None]:
        """Store the events durably (one commit) and start processing the new ones; ``None``
        marks those stored before. Acknowledge the platform only after this returns."""
        ...

    async def accept(self, event: Event) -> int | None: ...

    async def accept_many(self, events: list[Event]) -> list[int | None]:
        """Store several events in one commit; ``None`` marks those stored before."""
        ...

    async def accept_unparseable(self, channel: str, body: bytes | str | Any, reason: str) -> int | None:
        """Keep a signed body (or a long poll's decoded update) that cannot be parsed as a dead
        letter; ``None`` if kept before."""
        ...

    def process_in_background(self, inbox_id: int) -> None: ...

    async def handle(self, event: Event) -> Handled: ...

    async def step_of(self, ref: ResidentRef) -> Step: ...


class Channel(ABC):
    name: str
    capabilities: Capabilities = Capabilities()

    def setup_routes(self, app: web.Application, core: Inbound) -> None:
        """Add HTTP routes (web chat, webhooks) before the shared web app starts."""

    @abstractmethod
    async def start(self, core: Inbound) -> None:
        """Begin receiving (long polling, webhook registration); return once running."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop receiving; updates already acknowledged are in the inbox and not lost."""

    @abstractmethod
    async def deliver(self, ref: ResidentRef, messages: list[Outgoing]) -> None:
        """Send replies to one resident, in order; raise ``DeliveryError`` on failure."""

    def capabilities_for(self, ref: ResidentRef) -> Capabilities:
        """What this resident's client can show; channels whose clients differ override it."""
        return self.capabilities

    def replies_written(self, ref: ResidentRef) -> None:
        """For pull-delivery channels: replies to ``ref`` are now in the outbox (wake readers)."""

    def throughput(self) -> Throughput:
        """The ceiling broadcasts are paced to; channels override it from their settings."""
        return Throughput(calls_per_second=1.0)

    async def send_once(self, refs: list[ResidentRef], reply: Reply, key: str) -> dict[ResidentRef, DeliveryError]:
        """One attempt to send ``reply`` to ``refs`` (at most ``recipients_per_call``), without
        retrying: the broadcast sender paces calls and decides about retries. ``key`` is stable
        for the delivery, to be used as the platform's idempotency key where it has one.
        Returns the failures; recipients not in it were sent to. Raises DeliveryError when the
        whole call failed. The default sends to each with ``deliver`` (which may retry)."""
        failures: dict[ResidentRef, DeliveryError] = {}
        for ref in refs:
            try:
                await self.deliver(ref, [Outgoing(0, reply)])
            except DeliveryError as error:
                failures[ref] = error
        return failures

    async def download(self, photo: Photo) -> bytes:
        """Fetch a photo that is still on the platform (``photo.remote_id``)."""
        raise DeliveryError(f"{self.name} cannot download attachments", permanent=True)
