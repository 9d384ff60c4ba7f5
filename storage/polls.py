"""Ballots and tallies. One ballot per voter per poll is a UNIQUE constraint, not a hope."""
from __future__ import annotations

from storage.broadcasts import REACHABLE
from storage.clock import now
from storage.ports.polls import Outcome, Tally
from storage.sql import SqlConnection


class Polls:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection
        # Choices of the ballots cast in this transaction, not written yet: a vote costs one
        # statement, and a batch's choices go in one ``executemany`` (``flush``), before any
        # read of ballots here and before the transaction commits (``Database.transaction``).
        self._pending: list[tuple[int, str, int]] = []

    async def cast(self, poll_id: int, voter_key: str, resident_id: int | None, channel: str,
                   choices: list[tuple[str, int]], allow_change: bool) -> Outcome:
        rows = await self._db.execute_fetchall(
            "INSERT INTO ballots (poll_id, voter_key, resident_id, channel, cast_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (poll_id, voter_key) DO NOTHING RETURNING id",
            (poll_id, voter_key, resident_id, channel, now()))
        outcome: Outcome = "cast"
        if rows:
            ballot_id = rows[0][0]
        else:
            if not allow_change:
                return "already"
            await self.flush()  # the same voter (one phone, two channels) twice in a transaction
            existing = await self._db.execute_fetchall(
                "SELECT id FROM ballots WHERE poll_id = ? AND voter_key = ?", (poll_id, voter_key))
            ballot_id = existing[0][0]
            await self._db.execute("DELETE FROM ballot_choices WHERE ballot_id = ?", (ballot_id,))
            await self._db.execute("UPDATE ballots SET cast_at = ?, channel = ? WHERE id = ?",
                                   (now(), channel, ballot_id))
            outcome = "changed"
        self._pending.extend((ballot_id, option, score) for option, score in choices)
        return outcome

    async def flush(self) -> None:
        """Write the choices of the ballots cast so far in this transaction."""
        if self._pending:
            pending, self._pending = self._pending, []
            await self._db.executemany(
                "INSERT INTO ballot_choices (ballot_id, option_key, score) VALUES (?, ?, ?)", pending)

    async def ballot(self, poll_id: int, voter_key: str) -> list[tuple[str, int]] | None:
        await self.flush()
        rows = await self._db.execute_fetchall(
            "SELECT c.option_key, c.score FROM ballots b JOIN ballot_choices c ON c.ballot_id = b.id"
            " WHERE b.poll_id = ? AND b.voter_key = ? ORDER BY c.score DESC, c.option_key", (poll_id, voter_key))
        if rows:
            return [(r[0], r[1]) for r in rows]
        exists = await self._db.execute_fetchall(
            "SELECT 1 FROM ballots WHERE poll_id = ? AND voter_key = ?", (poll_id, voter_key))
        return [] if exists else None

    async def voters(self, poll_id: int) -> list[tuple[str, str, str]]:
        await self.flush()
        rows = await self._db.execute_fetchall(
            "SELECT DISTINCT r.id, r.channel, r.external_id, r.language FROM ballots b"
            f" JOIN residents r ON r.id = b.resident_id WHERE b.poll_id = ? AND {REACHABLE} ORDER BY r.id",
            (poll_id,))
        return [(r[1], r[2], r[3]) for r in rows]

    async def tally(self, poll_id: int) -> Tally:
        await self.flush()
        voters = (await self._db.execute_fetchall(
            "SELECT count(*) FROM ballots WHERE poll_id = ?", (poll_id,)))[0][0]
        rows = await self._db.execute_fetchall(
            "SELECT c.option_key, count(*), sum(c.score) FROM ballot_choices c"
            " JOIN ballots b ON b.id = c.ballot_id WHERE b.poll_id = ? GROUP BY c.option_key", (poll_id,))
        return Tally(voters, {r[0]: r[1] for r in rows}, {r[0]: r[2] for r in rows})
