"""The inbox: every platform update stored before it is handled, its attempts and its dead letters."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class DeadLetter:
    id: int
    channel: str
    update_id: str
    received_at: str
    attempts: int
    error: str
    dead_at: str
    payload: str | None


class InboxStore(Protocol):
    """What Inbox offers (storage/inbox.py is the SQLite one)."""

    async def store_many(self, rows: list[tuple[str, str, str | None]],
                         processed: bool = False) -> dict[tuple[str, str], int]:
        """Keep several (channel, update id, payload) at once; returns the ids of the new ones.
        ``processed``: stored by the transaction that processes them (no payload is kept).
        Either way the first attempt at processing follows at once, so it is counted here."""

    async def still_unprocessed(self, ids: list[int]) -> set[int]: ...

    async def mark_processed_many(self, ids: list[int]) -> None: ...

    async def find(self, channel: str, update_id: str) -> int | None: ...

    async def load_unprocessed(self, inbox_id: int) -> str | None: ...

    async def mark_processed(self, inbox_id: int, error: str | None = None) -> None: ...

    async def store_unparseable(self, channel: str, body_text: str, reason: str) -> int | None:
        """Keep a signed body that no parser could read as a dead letter, so staff see what
        arrived: processed and dead at once, never handed to a handler. Its update id is a digest
        of the body, so the platform's retry of the same body is kept once (``None`` then)."""

    async def prune_processed(self, before: str) -> int: ...

    async def retryable_ids(self, received_before: str | None = None, channel: str | None = None) -> list[int]:
        """Open rows (neither processed nor dead letters), oldest first; with ``received_before``
        only those stored before that moment, with ``channel`` only that channel's."""

    async def count_attempts(self, ids: list[int]) -> dict[int, tuple[int, str | None]]:
        """Count one more attempt at each open row of ``ids``, before it is made; returns each
        counted row's attempts so far and payload. Rows closed meanwhile are left out."""

    async def bury_spent(self, ids: list[int], max_attempts: int, error: str) -> list[int]:
        """Of ``ids``, make the open rows that already had ``max_attempts`` attempts dead letters
        (their last attempt never ended: the process died); ``error`` goes before any earlier one."""

    async def note_failure(self, inbox_id: int, error: str) -> None:
        """Why the last attempt at an open row failed; the row stays open for the next one."""

    async def bury(self, inbox_id: int, error: str | None = None) -> bool:
        """Make an open row a dead letter: no more attempts; payload and reason kept for staff."""

    async def dead_letters(self, limit: int, before_id: int | None = None) -> list[DeadLetter]:
        """Every dead letter, whatever made it one, newest first."""

    async def dead_letter(self, inbox_id: int) -> DeadLetter | None: ...

    async def count_dead_letters(self) -> int: ...

    async def revive(self, inbox_id: int) -> bool:
        """A dead letter becomes an open row with no attempts counted (staff asked to retry it)."""

    async def discard(self, inbox_id: int) -> bool:
        """Close a dead letter without processing it: the payload (personal data) goes, the key
        stays until pruned, so that a platform's late retry of the update is still recognised."""

    async def erase_payloads_of(self, channel: str, external_id: str) -> list[str]:
        """Erase the stored events of a resident being forgotten that processing has finished
        with or given up on (failed tries, dead letters): their payload and the text of their
        error go, the row stays so that a re-delivery is still recognised. Events never tried
        yet stay: they came after, and are the resident writing again. Returns the payloads."""

    async def erase_errors(self, ids: list[int]) -> None:
        """Keep only the kind of each error (the text after it may quote what the resident wrote)."""

    async def rename_keys_naming(self, channel: str, external_id: str, encoded: list[str]) -> int:
        """Give update ids that embed an erased platform id a name that says nothing,
        ``erased:<row id>``: the id itself between separators (an OK chat's ``seq:<chat>:<n>``,
        a gateway's ``<user>-<n>``), or one of its ``encoded`` forms anywhere (a WhatsApp wamid
        carries the number in base64). A platform that delivers such an update again is then
        not recognised, which is the price of not keeping the id."""
