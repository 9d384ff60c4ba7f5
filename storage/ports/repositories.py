"""The bundle of repositories a transaction or the reader hands out, and the database port.

``Database.transaction()`` gives every repository bound to one write transaction (committed when
the block ends, rolled back on an exception); ``Database.reader`` gives them over committed data,
read beside the writer. The SQLite implementation is ``storage.database.Database``; the composition
roots (bot/app.py, bot/cli.py) open it, everything else sees these protocols.
"""
from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from storage.ports.attachment_references import AttachmentReferenceStore
from storage.ports.broadcasts import BroadcastStore
from storage.ports.content import ContentStore
from storage.ports.contests import ContestStore
from storage.ports.digests import DigestStore
from storage.ports.episodes import EpisodeStore
from storage.ports.exports import ExportStore
from storage.ports.gateway import GatewayEventIdStore
from storage.ports.inbox import InboxStore
from storage.ports.leases import LeaseStore
from storage.ports.moderation import ModerationStore
from storage.ports.outbox import OutboxStore
from storage.ports.phone_codes import PhoneCodeStore
from storage.ports.poll_positions import PollPositionStore
from storage.ports.polls import PollStore
from storage.ports.privacy import PrivacyStore
from storage.ports.proposals import ProposalStore
from storage.ports.public import PublicStore
from storage.ports.quizzes import QuizStore
from storage.ports.residents import ResidentStore
from storage.ports.similar_proposals import SimilarProposalIndex
from storage.ports.staff import StaffStore
from storage.ports.statistics import StatisticsStore
from storage.ports.subscriptions import SubscriptionStore
from storage.ports.supports import SupportStore
from storage.ports.surveys import SurveyStore
from storage.ports.volunteers import VolunteerStore
from storage.ports.whatsapp import WhatsappStore


class Repositories(Protocol):
    """Every query group, bound to one connection (read-only properties, so that a backend may
    hand out its own classes)."""

    @property
    def residents(self) -> ResidentStore: ...

    @property
    def inbox(self) -> InboxStore: ...

    @property
    def outbox(self) -> OutboxStore: ...

    @property
    def proposals(self) -> ProposalStore: ...

    @property
    def subscriptions(self) -> SubscriptionStore: ...

    @property
    def privacy(self) -> PrivacyStore: ...

    @property
    def content(self) -> ContentStore: ...

    @property
    def polls(self) -> PollStore: ...

    @property
    def phone_codes(self) -> PhoneCodeStore: ...

    @property
    def quizzes(self) -> QuizStore: ...

    @property
    def contests(self) -> ContestStore: ...

    @property
    def surveys(self) -> SurveyStore: ...

    @property
    def broadcasts(self) -> BroadcastStore: ...

    @property
    def episodes(self) -> EpisodeStore: ...

    @property
    def staff(self) -> StaffStore: ...

    @property
    def moderation(self) -> ModerationStore: ...

    @property
    def exports(self) -> ExportStore: ...

    @property
    def statistics(self) -> StatisticsStore: ...

    @property
    def whatsapp(self) -> WhatsappStore: ...

    @property
    def gateway(self) -> GatewayEventIdStore: ...

    @property
    def poll_positions(self) -> PollPositionStore: ...

    @property
    def attachment_references(self) -> AttachmentReferenceStore: ...

    @property
    def supports(self) -> SupportStore: ...

    @property
    def similar(self) -> SimilarProposalIndex: ...

    @property
    def public(self) -> PublicStore: ...

    @property
    def leases(self) -> LeaseStore: ...

    @property
    def digests(self) -> DigestStore: ...

    @property
    def volunteers(self) -> VolunteerStore: ...


class Database(Protocol):
    """What the application asks of the database as a whole."""

    @property
    def reader(self) -> Repositories:
        """Repositories over committed data; never blocks on the writer."""

    @property
    def checkpoint_owed(self) -> bool:
        """An erasure's checkpoint could not yet clear the log (``checkpoint`` again later)."""

    async def pending_migrations(self) -> list[str]:
        """The migrations of this release not applied to the database yet, read with one query
        (what a readiness check asks: the database answers, and its schema is this release's)."""

    def transaction(self) -> AbstractAsyncContextManager[Repositories]:
        """One write transaction: commits when the block ends, rolls back on any exception."""

    async def checkpoint(self) -> bool:
        """Make what was just deleted unrecoverable from the backend's files; False when that
        has to wait (``checkpoint_owed``)."""

    async def close(self) -> None: ...
