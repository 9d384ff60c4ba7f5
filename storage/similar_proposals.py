"""Similar proposals, looked up in an in-memory index kept in step with the proposals table.

One index per process (``Database.similar``), filled on the first lookup and brought up to date
before each one: every insert and every change of a proposal's text, status or author gives it
a new ``revision`` (triggers of migration 0018; writes are serialised, so revisions grow in
commit order, in this process or another), and the rows changed since the last look are those
above the latest revision seen. A count that does not match after that (a row deleted)
rebuilds the index from scratch. It reads through the reader connection, so a transaction still
in progress (and perhaps rolled back) never enters it.

What residents are offered: only proposals in ``proposals.similar_statuses`` (those a moderator
has let through; never spam, duplicates or the ones found not feasible), never their own. They
are looked up in an index of those alone, kept beside the whole one: a town's new proposals
share words by the hundred, and a resident's «Отправить» should not walk them all.
Moderators see any proposal but spam and the duplicates already merged.
"""
from __future__ import annotations

import asyncio
from typing import Iterable

from storage.ports.similar_proposals import SimilarProposal
from storage.similarity import Entry, SimilarityIndex
from storage.sql import SqlConnection
from storage.statuses import SET_ASIDE

HIDDEN_FROM_MODERATORS = SET_ASIDE
YIELD_EVERY = 200


class SimilarProposals:
    def __init__(self, connection: SqlConnection, index: SimilarityIndex | None = None) -> None:
        self._db = connection
        self.index = index or SimilarityIndex()
        self._seen = 0  # the latest revision taken into the index
        self._public: dict[frozenset[str], SimilarityIndex] = {}  # statuses → their proposals alone

    async def refresh(self) -> None:
        """Take into the index what changed since the last look."""
        count, latest = (await self._db.execute_fetchall(
            "SELECT count(*), coalesce(max(revision), 0) FROM proposals"))[0]
        if count == len(self.index) and latest == self._seen:
            return
        rows = await self._db.execute_fetchall(
            "SELECT id, text, status, resident_id, revision FROM proposals WHERE revision > ?", (self._seen,))
        self._seen = await self._take(self.index, rows, self._seen)
        for statuses, public in self._public.items():
            for row in rows:
                self._sort(public, statuses, row[0])
        if len(self.index) != count:  # a proposal was deleted: start over, in a new index swapped in whole
            fresh = SimilarityIndex()
            seen = await self._take(fresh, await self._db.execute_fetchall(
                "SELECT id, text, status, resident_id, revision FROM proposals"), 0)
            self.index, self._seen, self._public = fresh, seen, {}

    def _sort(self, public: SimilarityIndex, statuses: frozenset[str], proposal_id: int) -> None:
        """Into the index of public proposals, or out of it, as the proposal's status says now."""
        entry = self.index.entry(proposal_id)
        if entry is not None and entry.status in statuses:
            public.put_entry(entry)
        else:
            public.remove(proposal_id)

    def _public_index(self, statuses: frozenset[str]) -> SimilarityIndex:
        public = self._public.get(statuses)
        if public is None:
            public = self._public[statuses] = SimilarityIndex()
            for proposal_id in self.index.ids():
                self._sort(public, statuses, proposal_id)
        return public

    @staticmethod
    async def _take(index: SimilarityIndex, rows: Iterable, seen: int) -> int:
        """Put rows into an index; the latest revision among them (or ``seen``). Lemmatising is
        CPU work: the event loop gets a turn every ``YIELD_EVERY`` rows (the first lookup of a big town)."""
        for number, (proposal_id, text, status, resident_id, revision) in enumerate(rows, 1):
            index.put(proposal_id, text, status, resident_id)
            seen = max(seen, revision)
            if number % YIELD_EVERY == 0:
                await asyncio.sleep(0)
        return seen

    async def for_resident(self, text: str, resident_id: int | None, *, statuses: Iterable[str], limit: int,
                           threshold: float) -> list[SimilarProposal]:
        """The public proposals most like ``text``, not the resident's own."""
        shown = frozenset(statuses)
        await self.refresh()
        found = self._public_index(shown).similar(
            text, limit=limit, threshold=threshold,
            keep=lambda entry: resident_id is None or entry.resident_id != resident_id)
        return await self._described(found)

    async def for_moderator(self, proposal_id: int, *, limit: int, threshold: float) -> list[SimilarProposal]:
        """The likely duplicates of a proposal (by its own words), best first."""
        await self.refresh()
        entry = self.index.entry(proposal_id)
        if entry is None:
            return []

        def keep(other: Entry) -> bool:
            return other.id != proposal_id and other.status not in HIDDEN_FROM_MODERATORS

        found = self.index.similar_to_counts(entry.counts, limit=limit, threshold=threshold, keep=keep)
        return await self._described(found)

    async def public(self, ids: Iterable[int], statuses: Iterable[str]) -> list[SimilarProposal]:
        """The proposals offered earlier, as they are now, still public, in the same order (a
        draft keeps only their numbers: their texts are read when shown)."""
        order = list(ids)
        return await self._described([(n, 0.0) for n in order], statuses)

    async def _described(self, found: list[tuple[int, float]],
                         statuses: Iterable[str] | None = None) -> list[SimilarProposal]:
        if not found:
            return []
        scores = dict(found)
        marks = ", ".join("?" for _ in found)
        shown = list(statuses) if statuses is not None else None
        only = f" AND p.status IN ({', '.join('?' for _ in shown) or 'NULL'})" if shown is not None else ""
        rows = await self._db.execute_fetchall(
            "SELECT p.id, p.text, p.status, (SELECT count(*) FROM proposal_supports s WHERE s.proposal_id = p.id)"
            f" FROM proposals p WHERE p.id IN ({marks}){only}", [*scores, *(shown or [])])
        described = [SimilarProposal(r[0], r[1], r[2], round(scores[r[0]], 2), r[3]) for r in rows]
        place = {n: position for position, n in enumerate(scores)}
        return sorted(described, key=lambda item: place[item.id])  # best first, as found
