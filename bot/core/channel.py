"""What a channel adapter is to the core, and what the core is to a channel adapter.

A channel turns platform updates into ``Event``s and hands them to the core (``Inbound``), and
turns the core's replies into platform calls. It declares its limits in ``Capabilities``, and
the core fits each reply to them once, before the adapter sees it (``Channel.deliver`` and
``Channel.send_once`` call ``bot.core.rendering.fit``, then the adapter's ``deliver_fitted`` and
``send_fitted_once``): no adapter fits a reply itself. Adapters compose an SDK client; they
never subclass the core.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Protocol

from aiohttp import web

from bot.core.capabilities import Capabilities
from bot.core.events import Event, Photo, ResidentRef
from bot.core.i18n import Texts
from bot.core.rendering import fit
from bot.core.replies import Reply

__all__ = ["Capabilities", "Channel", "DeliveryError", "Fitted", "Handled", "Inbound", "Outgoing", "Step",
           "Throughput"]


@dataclass(frozen=True)
class Outgoing:
    """A reply with its outbox id: the id is the idempotency key for platforms that have one."""

    id: int
    reply: Reply


@dataclass(frozen=True)
class Fitted:
    """A reply as the core fitted it to the resident's client: ``parts`` are what to send, in
    order (a long text split, the buttons on the last part); ``reply`` is the reply as written,
    for what is not sent as these messages (WhatsApp's template parameter); ``id`` is the
    outbox id (0 for a broadcast)."""

    id: int
    reply: Reply
    parts: tuple[Reply, ...]

    @classmethod
    def of(cls, id: int, reply: Reply, capabilities: Capabilities) -> "Fitted":
        return cls(id, reply, tuple(fit(reply, capabilities)))


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

    async def accept_unparseable(self, channel: str, body: bytes | str | Any, reason: str) -> int | None:
        """Keep a signed body (or a long poll's decoded update) that cannot be parsed as a dead
        letter; ``None`` if kept before."""
        ...

    async def handle(self, event: Event) -> Handled: ...

    async def step_of(self, ref: ResidentRef) -> Step: ...


class Channel(ABC):
    name: str
    capabilities: Capabilities = Capabilities()

    def setup_routes(self, app: web.Application, core: Inbound) -> None:
        """Add HTTP routes (web chat, webhooks) before the shared web app starts."""

    @abstractmethod
    async def start(self, core: Inbound) -> None:
        """Begin receiving (webhook registration; a long poll is ``long_poll``); return once running."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop receiving; updates already acknowledged are in the inbox and not lost."""

    def identity(self) -> str:
        """What names this bot on its platform (its token); the channel's name where it has none.
        Work that the platform allows once per token (a long poll, the paced broadcast sender)
        runs in one process of the cluster per identity, under a lease named by a digest of it."""
        return self.name

    def long_poll(self) -> Callable[[], Awaitable[None]] | None:
        """The long poll, when this channel receives by one: the application runs it after
        ``start`` and only while this process holds the lease on ``identity`` (one poller per
        token in the cluster), and cancels it when the lease is lost and before ``stop``.
        None when receiving needs no lease (webhooks, the web chat)."""
        return None

    async def deliver(self, ref: ResidentRef, messages: list[Outgoing]) -> None:
        """Send replies to one resident, in order; raise ``DeliveryError`` on failure. Each reply
        is fitted here, once, to what the resident's client can show; the adapter sends the
        parts (``deliver_fitted``)."""
        capabilities = self.capabilities_for(ref)
        await self.deliver_fitted(ref, [Fitted.of(o.id, o.reply, capabilities) for o in messages])

    @abstractmethod
    async def deliver_fitted(self, ref: ResidentRef, messages: list[Fitted]) -> None:
        """Send replies the core has fitted, in order; raise ``DeliveryError`` on failure."""

    def capabilities_for(self, ref: ResidentRef) -> Capabilities:
        """What this resident's client can show; channels whose clients differ override it."""
        return self.capabilities

    def replies_written(self, ref: ResidentRef) -> None:
        """For pull-delivery channels: replies to ``ref`` are now in the outbox (wake readers)."""

    def throughput(self) -> Throughput:
        """The ceiling broadcasts are paced to; channels override it from their settings."""
        return Throughput(calls_per_second=1.0)

    def broadcast_capabilities(self) -> Capabilities:
        """What one message to many residents at once is fitted to: what every client shows."""
        return self.capabilities

    async def send_once(self, refs: list[ResidentRef], reply: Reply, key: str) -> dict[ResidentRef, DeliveryError]:
        """One attempt to send ``reply`` to ``refs`` (at most ``recipients_per_call``), without
        retrying: the broadcast sender paces calls and decides about retries. ``key`` is stable
        for the delivery, to be used as the platform's idempotency key where it has one.
        Returns the failures; recipients not in it were sent to. Raises DeliveryError when the
        whole call failed. The reply is fitted here, once (``broadcast_capabilities``); the
        adapter sends the parts (``send_fitted_once``)."""
        return await self.send_fitted_once(refs, Fitted.of(0, reply, self.broadcast_capabilities()), key)

    async def send_fitted_once(self, refs: list[ResidentRef], reply: Fitted,
                               key: str) -> dict[ResidentRef, DeliveryError]:
        """``send_once`` for a reply already fitted. The default sends to each with
        ``deliver_fitted`` (which may retry)."""
        failures: dict[ResidentRef, DeliveryError] = {}
        for ref in refs:
            try:
                await self.deliver_fitted(ref, [reply])
            except DeliveryError as error:
                failures[ref] = error
        return failures

    async def download(self, photo: Photo) -> bytes:
        """Fetch a photo that is still on the platform (``photo.remote_id``)."""
        raise DeliveryError(f"{self.name} cannot download attachments", permanent=True)
