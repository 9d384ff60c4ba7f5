"""All query groups bound to one connection: what a transaction or the reader hands out."""
from __future__ import annotations

import aiosqlite

from storage.cache import ReadCache
from storage.content import Content
from storage.contests import Contests
from storage.inbox import Inbox
from storage.outbox import Outbox
from storage.polls import Polls
from storage.privacy import Privacy
from storage.proposals import Proposals
from storage.quizzes import Quizzes
from storage.residents import Residents
from storage.subscriptions import Subscriptions
from storage.surveys import Surveys


class Repositories:
    def __init__(self, connection: aiosqlite.Connection, cache: ReadCache | None = None) -> None:
        self.residents = Residents(connection)
        self.inbox = Inbox(connection)
        self.outbox = Outbox(connection)
        self.proposals = Proposals(connection)
        self.subscriptions = Subscriptions(connection)
        self.privacy = Privacy(connection)
        self.content = Content(connection, cache)
        self.polls = Polls(connection)
        self.quizzes = Quizzes(connection)
        self.contests = Contests(connection)
        self.surveys = Surveys(connection)
