"""The stored vocabularies: every status, verdict, kind and role a row holds, one enum each.

They are ``StrEnum``s, so a member *is* its stored string (``ProposalStatus.SPAM == "spam"``,
written and read as ``spam``): no migration, and the CHECK constraints in
``storage/migrations`` stay the authority on what a column accepts
(tests/test_statuses.py holds the two to the same words). Code compares and passes members,
never bare strings, so a typo is an ``AttributeError`` at import, not a status nobody reads;
SQL text in storage/ keeps its literal words where they are SQL. The panel's titles for them
are in admin/titles.py, keyed by these members.
"""
from __future__ import annotations

from enum import StrEnum


class ProposalStatus(StrEnum):
    """Where a proposal is in moderation (proposals.status)."""

    NEW = "new"
    IN_REVIEW = "in_review"
    WITH_EXPERTS = "with_experts"
    ACCEPTED = "accepted"
    PARTLY_ACCEPTED = "partly_accepted"
    NOT_FEASIBLE = "not_feasible"
    DUPLICATE = "duplicate"
    SPAM = "spam"


# Proposals out of the way: merged into another or hidden as spam.
SET_ASIDE = frozenset({ProposalStatus.DUPLICATE, ProposalStatus.SPAM})


class Verdict(StrEnum):
    """An expert's opinion of a proposal (expert_opinions.verdict)."""

    POSSIBLE = "possible"
    IMPOSSIBLE = "impossible"
    NEEDS_CORRECTION = "needs_correction"


class ProposalEventKind(StrEnum):
    """What a line of a proposal's history records (proposal_events.kind)."""

    STATUS = "status"
    ANSWER = "answer"
    QUESTION = "question"
    CORRECTION = "correction"
    OPINION = "opinion"
    MERGED = "merged"
    ENTERED = "entered"
    ERASED = "erased"
    SMS = "sms"
    AUTHOR_ERASED = "author_erased"


class OutboxStatus(StrEnum):
    """A conversation reply's delivery (outbox.status)."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class BroadcastStatus(StrEnum):
    """Where a broadcast is (broadcasts.status)."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    DONE = "done"
    CANCELLED = "cancelled"


# A broadcast that will send nothing more, whatever staff press.
FINISHED = (BroadcastStatus.DONE, BroadcastStatus.CANCELLED)


class DeliveryStatus(StrEnum):
    """One recipient's copy of a broadcast (deliveries.status)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"    # no answer after the request left: the platform may have it
    SKIPPED = "skipped"    # the resident was forgotten before their turn


class WorkStatus(StrEnum):
    """Where a contest work is in moderation (contest_entries.status)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class PhoneCodeStatus(StrEnum):
    """A phone check's code (phone_codes.status)."""

    PENDING = "pending"
    SENT = "sent"
    UNKNOWN = "unknown"
    FAILED = "failed"
    USED = "used"
    VOID = "void"


class PollKind(StrEnum):
    """How a poll is answered (content_items.poll_kind, a poll definition's ``kind``)."""

    SINGLE = "single"
    MULTIPLE = "multiple"
    SCORES = "scores"
    TOP3 = "top3"


class QuestionType(StrEnum):
    """How a survey question is answered (the ``type`` of a question in a stored survey definition)."""

    SINGLE = "single"
    MULTIPLE = "multiple"
    SCALE = "scale"
    NUMBER = "number"
    TEXT = "text"
    PHOTO = "photo"
    LOCATION = "location"


class StaffRole(StrEnum):
    """What a panel account may do (staff_users.role)."""

    ADMIN = "admin"
    STAFF = "staff"
    MODERATOR = "moderator"
    EXPERT = "expert"


class WhatsAppStatus(StrEnum):
    """A WhatsApp message's receipt as the platform words it (whatsapp_statuses.status)."""

    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


class VolunteerKind(StrEnum):
    """Who joined the project (volunteers.kind): a person or an organisation."""

    PERSON = "person"
    ORGANISATION = "organisation"


class ContactKind(StrEnum):
    """How someone who joined wants to be reached (volunteers.contact_kind)."""

    PHONE = "phone"
    EMAIL = "email"
    MESSENGER = "messenger"   # write to them in the chat they joined from
