"""Making and controlling broadcasts: rows first, sends second.

``create`` writes the broadcast and one delivery row per recipient in ONE transaction (an
``INSERT … SELECT`` in storage, so the recipients never pass through Python memory); only then
can a sender take them. Staff control is status changes on the broadcast row, which the senders
read: ``pause`` (claimed rows go back to pending), ``resume``, ``cancel`` (pending rows become
'skipped'). ``CONTROLS`` says from which statuses each is possible, for them and for the pages
that offer them. ``progress`` counts the deliveries by status.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from broadcasts.audience import Audience
from broadcasts.templates import build_reply, validate
from storage.ports.repositories import Database
from storage.statuses import FINISHED, BroadcastStatus

# The staff controls and the broadcast statuses each is possible from; a done or cancelled
# broadcast has none.
CONTROLS = {"pause": (BroadcastStatus.SENDING, BroadcastStatus.SCHEDULED),
            "resume": (BroadcastStatus.PAUSED, BroadcastStatus.DRAFT),
            "cancel": (BroadcastStatus.DRAFT, BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING,
                       BroadcastStatus.PAUSED)}


@dataclass
class BroadcastSpec:
    title: str
    texts: dict[str, str]                               # {language: jinja2 template}
    audience: Audience
    buttons: list[list[dict]] = field(default_factory=list)   # rows of {label, url | payload}
    media: list[dict] = field(default_factory=list)           # [{kind, url | file_key}]
    topic: str | None = None                                  # the topic it belongs to, if any
    send_at: datetime | None = None                           # with a time zone; None: now


@dataclass(frozen=True)
class Progress:
    total: int
    pending: int
    sending: int
    sent: int
    failed: int
    unknown: int
    skipped: int
    status: str

    @property
    def finished(self) -> int:
        return self.sent + self.failed + self.unknown + self.skipped

    @property
    def percent(self) -> int:
        """The share of recipients a message went out to (sent, failed, or sent without an answer
        known), rounded down, so that 100 means every one; a broadcast to nobody is 100 once over."""
        if not self.total:
            return 100 if self.status in FINISHED else 0
        return 100 * (self.sent + self.failed + self.unknown) // self.total


class BroadcastProblem(ValueError):
    """A broadcast cannot be made or changed as asked; the message says why, for staff."""


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise BroadcastProblem("укажите часовой пояс времени отправки, например 2026-06-25T08:00:00+09:00")
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


async def count(db: Database, audience: Audience) -> int:
    """How many residents the audience is now (what staff see before sending)."""
    return await db.reader.broadcasts.count_audience(audience)


async def create(db: Database, spec: BroadcastSpec, created_by: str = "",
                 status: str | None = None) -> tuple[int, int]:
    """Store the broadcast and its deliveries; return (broadcast id, recipients).

    ``status``: 'sending' (senders take it at once), 'scheduled' (at ``spec.send_at``) or 'draft'
    (nothing is sent until it is resumed). Without one: 'scheduled' when ``send_at`` is in the
    future, else 'sending'. The templates are checked first (``TemplateProblem``)."""
    validate(spec.texts)
    try:
        build_reply("", spec.buttons, spec.media)
    except (TypeError, ValueError) as error:
        raise BroadcastProblem(f"кнопки или вложения не подходят: {error}") from error
    send_at = _utc(spec.send_at) if spec.send_at is not None else None
    if status is None:
        status = BroadcastStatus.SCHEDULED if send_at and send_at > _utc(datetime.now(timezone.utc)) \
            else BroadcastStatus.SENDING
    if status not in (BroadcastStatus.SENDING, BroadcastStatus.SCHEDULED, BroadcastStatus.DRAFT):
        raise BroadcastProblem(f"новая рассылка бывает sending, scheduled или draft, а не {status!r}")
    if status == BroadcastStatus.SCHEDULED and send_at is None:
        raise BroadcastProblem("запланированной рассылке нужно время отправки")
    async with db.transaction() as tx:
        return await tx.broadcasts.create(
            title=spec.title, texts=spec.texts, buttons=spec.buttons, media=spec.media,
            audience=spec.audience, topic=spec.topic, status=status, send_at=send_at, created_by=created_by)


async def pause(db: Database, broadcast_id: int) -> bool:
    """Stop taking its deliveries; those being sent finish, the rest wait. False: not pausable."""
    async with db.transaction() as tx:
        return await tx.broadcasts.set_status(broadcast_id, BroadcastStatus.PAUSED, CONTROLS["pause"])


async def resume(db: Database, broadcast_id: int) -> bool:
    """Go on with a paused broadcast (or start a draft): 'scheduled' again if its time is still
    ahead, else 'sending'. False: it was not paused or a draft."""
    async with db.transaction() as tx:
        row = await tx.broadcasts.get(broadcast_id)
        if row is None:
            return False
        ahead = row.send_at is not None and row.started_at is None \
            and row.send_at > _utc(datetime.now(timezone.utc))
        return await tx.broadcasts.set_status(
            broadcast_id, BroadcastStatus.SCHEDULED if ahead else BroadcastStatus.SENDING, CONTROLS["resume"])


async def cancel(db: Database, broadcast_id: int) -> int | None:
    """Cancel it: deliveries not sent yet are skipped (returns how many); None: nothing to cancel
    (no such broadcast, or it is done or cancelled already)."""
    async with db.transaction() as tx:
        if not await tx.broadcasts.set_status(broadcast_id, BroadcastStatus.CANCELLED, CONTROLS["cancel"]):
            return None
        return await tx.broadcasts.skip_pending(broadcast_id)


async def progress(db: Database, broadcast_id: int) -> Progress | None:
    row = await db.reader.broadcasts.get(broadcast_id)
    if row is None:
        return None
    counts = await db.reader.broadcasts.counts(broadcast_id)
    return Progress(total=sum(counts.values()), status=row.status, **counts)
