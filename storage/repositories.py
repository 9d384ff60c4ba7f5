"""All query groups bound to one connection: what a transaction or the reader hands out."""
from __future__ import annotations

from storage.attachment_references import AttachmentReferences
from storage.broadcasts import Broadcasts
from storage.cache import ReadCache
from storage.content import Content
from storage.contests import Contests
from storage.digests import Digests
from storage.episodes import Episodes
from storage.exports import Exports
from storage.gateway import GatewayEventIds
from storage.inbox import Inbox
from storage.leases import Leases
from storage.moderation import Moderation
from storage.outbox import Outbox
from storage.phone_codes import PhoneCodes
from storage.poll_positions import PollPositionRecords
from storage.polls import Polls
from storage.ports.content import ContentStore
from storage.privacy import Privacy
from storage.proposals import Proposals
from storage.public import Public
from storage.quizzes import Quizzes
from storage.residents import Residents
from storage.similar_proposals import SimilarProposals
from storage.sql import SqlConnection
from storage.staff import Staff
from storage.statistics import Statistics
from storage.subscriptions import Subscriptions
from storage.supports import Supports
from storage.surveys import Surveys
from storage.volunteers import Volunteers
from storage.whatsapp import WhatsappRecords


class Repositories:
    def __init__(self, connection: SqlConnection, cache: ReadCache | None = None,
                 similar: SimilarProposals | None = None) -> None:
        self.residents = Residents(connection)
        self.inbox = Inbox(connection)
        self.outbox = Outbox(connection)
        self.proposals = Proposals(connection)
        self.subscriptions = Subscriptions(connection)
        self.privacy = Privacy(connection)
        self.content: ContentStore = Content(connection, cache)
        self.polls = Polls(connection)
        self.phone_codes = PhoneCodes(connection)
        self.quizzes = Quizzes(connection)
        self.contests = Contests(connection)
        self.surveys = Surveys(connection)
        self.broadcasts = Broadcasts(connection)
        self.episodes = Episodes(connection, cache)
        self.staff = Staff(connection)
        self.moderation = Moderation(connection)
        self.exports = Exports(connection)
        self.statistics = Statistics(connection)
        self.whatsapp = WhatsappRecords(connection)
        self.gateway = GatewayEventIds(connection)
        self.poll_positions = PollPositionRecords(connection)
        self.attachment_references = AttachmentReferences(connection)
        self.supports = Supports(connection)
        self.public = Public(connection)
        self.leases = Leases(connection)
        self.digests = Digests(connection)
        self.volunteers = Volunteers(connection)
        # One index per process, read through the reader connection (storage/similar_proposals.py).
        self.similar = similar or SimilarProposals(connection)

    async def flush(self) -> None:
        """Write what the query groups hold back to write in one statement (a batch's ballot
        choices); a transaction does this before it commits."""
        await self.polls.flush()
