"""Broadcasts and their per-recipient deliveries: every query the outbox and the senders make.

A broadcast's recipients are chosen and written by one ``INSERT … SELECT`` in the transaction
that creates it, so the list never passes through Python memory and a crash cannot leave half
of it. Senders claim deliveries in pages (``claim``), marking them 'sending' before a request
leaves, and write outcomes in batches (``record``).
"""
from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

from storage.clock import now
from storage.ports.broadcasts import STATUSES, AudienceFilter, BroadcastRow, Claimed, PersonalMessage
from storage.sql import SqlConnection
from storage.statuses import BroadcastStatus

# Only residents who can be written to and agreed to be: consent given and not withdrawn.
REACHABLE = ("r.consent_at IS NOT NULL AND r.reachable = 1"
             " AND (r.consent_declined_at IS NULL OR r.consent_declined_at < r.consent_at)")


def _audience_sql(audience: AudienceFilter) -> tuple[str, list[Any]]:
    clauses, params = [REACHABLE], []
    chosen: list[str] = []   # a subscriber of the topic, or an entrant of the contest
    if audience.topic:
        chosen.append("EXISTS (SELECT 1 FROM subscriptions s WHERE s.resident_id = r.id AND s.topic = ?)")
        params.append(audience.topic)
    if audience.and_entrants_of:
        chosen.append("EXISTS (SELECT 1 FROM contest_entries e JOIN content_items c ON c.id = e.contest_id"
                      " WHERE c.kind = 'contests' AND c.key = ? AND e.resident_id = r.id)")
        params.append(audience.and_entrants_of)
    if chosen:
        clauses.append(f"({' OR '.join(chosen)})")
    if audience.channels:
        clauses.append(f"r.channel IN ({', '.join('?' * len(audience.channels))})")
        params.extend(audience.channels)
    if audience.languages:
        clauses.append(f"r.language IN ({', '.join('?' * len(audience.languages))})")
        params.extend(audience.languages)
    if audience.source:
        clauses.append("r.first_source = ?")
        params.append(audience.source)
    if audience.poll:
        clauses.append("EXISTS (SELECT 1 FROM ballots b JOIN content_items p ON p.id = b.poll_id"
                       " WHERE p.kind = 'polls' AND p.key = ? AND b.resident_id = r.id)")
        params.append(audience.poll)
    return " AND ".join(clauses), params


class Broadcasts:
    def __init__(self, connection: SqlConnection) -> None:
        self._db = connection

    # -- making one ----------------------------------------------------------------------------

    async def count_audience(self, audience: AudienceFilter) -> int:
        where, params = _audience_sql(audience)
        rows = await self._db.execute_fetchall(f"SELECT count(*) FROM residents r WHERE {where}", params)
        return rows[0][0]

    async def count_by_channel(self, audience: AudienceFilter) -> dict[str, int]:
        where, params = _audience_sql(audience)
        rows = await self._db.execute_fetchall(
            f"SELECT r.channel, count(*) FROM residents r WHERE {where} GROUP BY r.channel ORDER BY r.channel",
            params)
        return {row[0]: row[1] for row in rows}

    async def create(self, *, title: str, texts: dict[str, str], buttons: list, media: list,
                     audience: AudienceFilter, topic: str | None, status: str, send_at: str | None,
                     created_by: str) -> tuple[int, int]:
        """The broadcast and one pending delivery per recipient, in resident order."""
        stamp = now()
        rows = await self._db.execute_fetchall(
            "INSERT INTO broadcasts (title, texts, buttons, media, audience, topic, status, send_at,"
            " created_by, created_at, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (title, json.dumps(texts, ensure_ascii=False), json.dumps(buttons, ensure_ascii=False),
             json.dumps(media, ensure_ascii=False), audience.model_dump_json(), topic, status, send_at,
             created_by, stamp, stamp if status == BroadcastStatus.SENDING else None))
        broadcast_id = rows[0][0]
        where, params = _audience_sql(audience)
        cursor = await self._db.execute(
            "INSERT INTO deliveries (broadcast_id, resident_id, channel, external_id, language, name)"
            f" SELECT ?, r.id, r.channel, r.external_id, r.language, r.display_name FROM residents r"
            f" WHERE {where} ORDER BY r.id", [broadcast_id, *params])
        recipients = cursor.rowcount
        await self._db.execute("UPDATE broadcasts SET recipients = ? WHERE id = ?", (recipients, broadcast_id))
        return broadcast_id, recipients

    async def create_personal(self, *, title: str, texts: dict[str, str], created_by: str,
                              messages: Sequence[PersonalMessage]) -> int:
        """A broadcast already sending, with one pending delivery per message, each carrying its
        own reply: sent by the same senders, at the same pace, as any broadcast."""
        stamp = now()
        rows = await self._db.execute_fetchall(
            "INSERT INTO broadcasts (title, texts, audience, status, recipients, created_by, created_at, started_at)"
            " VALUES (?, ?, '{}', 'sending', ?, ?, ?, ?) RETURNING id",
            (title, json.dumps(texts, ensure_ascii=False), len(messages), created_by, stamp, stamp))
        broadcast_id = rows[0][0]
        await self._db.executemany(
            "INSERT INTO deliveries (broadcast_id, resident_id, channel, external_id, language, reply)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(broadcast_id, m.resident_id, m.channel, m.external_id, m.language, m.reply) for m in messages])
        return int(broadcast_id)

    # -- looking at them -----------------------------------------------------------------------

    async def get(self, broadcast_id: int) -> BroadcastRow | None:
        rows = await self._db.execute_fetchall("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return BroadcastRow.from_row(rows[0]) if rows else None

    async def recent(self, limit: int = 20) -> list[BroadcastRow]:
        rows = await self._db.execute_fetchall("SELECT * FROM broadcasts ORDER BY id DESC LIMIT ?", (limit,))
        return [BroadcastRow.from_row(row) for row in rows]

    async def counts(self, broadcast_id: int) -> dict[str, int]:
        """Deliveries by status (every status present, zeros included)."""
        rows = await self._db.execute_fetchall(
            "SELECT status, count(*) FROM deliveries WHERE broadcast_id = ? GROUP BY status", (broadcast_id,))
        counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
        counts.update({row[0]: row[1] for row in rows})
        return counts

    async def statuses(self, broadcast_ids: Iterable[int]) -> dict[int, str]:
        ids = list(broadcast_ids)
        if not ids:
            return {}
        rows = await self._db.execute_fetchall(
            f"SELECT id, status FROM broadcasts WHERE id IN ({', '.join('?' * len(ids))})", ids)
        return {row[0]: row[1] for row in rows}

    # -- staff control -------------------------------------------------------------------------

    async def set_status(self, broadcast_id: int, status: str, allowed_from: Sequence[str]) -> bool:
        """Move to ``status`` if the broadcast is in one of ``allowed_from``; False otherwise."""
        stamp = now()
        rows = await self._db.execute_fetchall(
            "UPDATE broadcasts SET status = ?,"
            " started_at = CASE WHEN ? = 'sending' THEN coalesce(started_at, ?) ELSE started_at END,"
            " finished_at = CASE WHEN ? IN ('done', 'cancelled') THEN ? ELSE finished_at END"
            f" WHERE id = ? AND status IN ({', '.join('?' * len(allowed_from))}) RETURNING id",
            (status, status, stamp, status, stamp, broadcast_id, *allowed_from))
        return bool(rows)

    async def skip_pending(self, broadcast_id: int) -> int:
        cursor = await self._db.execute(
            "UPDATE deliveries SET status = 'skipped', error = 'cancelled', name = ''"
            " WHERE broadcast_id = ? AND status = 'pending'", (broadcast_id,))
        return cursor.rowcount

    async def start_due(self, moment: str) -> list[int]:
        """Scheduled broadcasts whose time has come start sending."""
        rows = await self._db.execute_fetchall(
            "UPDATE broadcasts SET status = 'sending', started_at = coalesce(started_at, ?)"
            " WHERE status = 'scheduled' AND send_at <= ? RETURNING id", (now(), moment))
        return sorted(row[0] for row in rows)

    async def anything_to_tick(self, moment: str) -> bool:
        """Whether a scheduled broadcast is due or one is sending (else the tick writes nothing)."""
        rows = await self._db.execute_fetchall(
            "SELECT EXISTS (SELECT 1 FROM broadcasts WHERE status = 'scheduled' AND send_at <= ?)"
            " OR EXISTS (SELECT 1 FROM broadcasts WHERE status = 'sending')", (moment,))
        return bool(rows[0][0])

    async def finish_done(self) -> list[int]:
        """Broadcasts with nothing pending or in flight any more are done."""
        rows = await self._db.execute_fetchall(
            "UPDATE broadcasts SET status = 'done', finished_at = ? WHERE status = 'sending'"
            " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.broadcast_id = broadcasts.id"
            " AND d.status IN ('pending', 'sending')) RETURNING id", (now(),))
        return sorted(row[0] for row in rows)

    # -- the senders' side ---------------------------------------------------------------------

    async def sending_ids(self) -> list[int]:
        rows = await self._db.execute_fetchall("SELECT id FROM broadcasts WHERE status = 'sending' ORDER BY id")
        return [row[0] for row in rows]

    async def has_due(self, channel: str, moment: str) -> bool:
        """Whether a sending broadcast has a delivery on ``channel`` that may be claimed now."""
        rows = await self._db.execute_fetchall(
            "SELECT 1 FROM broadcasts b JOIN deliveries d ON d.broadcast_id = b.id"
            " WHERE b.status = 'sending' AND d.channel = ? AND d.status = 'pending'"
            " AND (d.not_before IS NULL OR d.not_before <= ?) LIMIT 1", (channel, moment))
        return bool(rows)

    async def pending_by_channel(self) -> dict[str, int]:
        """Deliveries waiting to be sent (pending or 'sending') of broadcasts scheduled, sending or
        paused, per channel: the finished ones' rows are not read (``deliveries_queue`` by broadcast)."""
        rows = await self._db.execute_fetchall(
            "SELECT d.channel, COUNT(*) FROM broadcasts b JOIN deliveries d ON d.broadcast_id = b.id"
            " WHERE b.status IN ('scheduled', 'sending', 'paused') AND d.status IN ('pending', 'sending')"
            " GROUP BY d.channel")
        return {channel: count for channel, count in rows}

    async def claim(self, channel: str, limit: int, moment: str) -> list[Claimed]:
        """Mark up to ``limit`` due pending deliveries on ``channel`` 'sending', oldest broadcast
        first and in id order within it; return them in that order."""
        claimed: list[Claimed] = []
        for broadcast_id in await self.sending_ids():
            if len(claimed) >= limit:
                break
            rows = await self._db.execute_fetchall(
                "UPDATE deliveries SET status = 'sending' WHERE id IN (SELECT id FROM deliveries"
                " WHERE broadcast_id = ? AND channel = ? AND status = 'pending'"
                " AND (not_before IS NULL OR not_before <= ?) ORDER BY id LIMIT ?) AND status = 'pending'"
                " RETURNING id, broadcast_id, resident_id, channel, external_id, language, name, attempts, reply",
                (broadcast_id, channel, moment, limit - len(claimed)))
            # RETURNING gives no order guarantee. The outer ``status = 'pending'`` is checked again
            # on a row another process claimed meanwhile (READ COMMITTED), so none is claimed twice.
            claimed.extend(sorted((Claimed(*row) for row in rows), key=lambda c: c.id))
        return claimed

    async def record(self, outcomes: Iterable[tuple[int, str, str | None, str | None, int]]) -> int:
        """Write (delivery id, status, not_before, error, attempts) outcomes of rows marked
        'sending', in one statement. The name copied for rendering is cleared once it is no
        longer needed."""
        stamp = now()
        cursor = await self._db.executemany(
            "UPDATE deliveries SET status = ?1, not_before = ?2, error = ?3, attempts = ?5,"
            " sent_at = CASE WHEN ?1 = 'sent' THEN ?4 ELSE sent_at END,"
            " name = CASE WHEN ?1 = 'pending' THEN name ELSE '' END,"
            " reply = CASE WHEN ?1 = 'pending' THEN reply ELSE NULL END"
            " WHERE id = ?6 AND status = 'sending'",
            [(status, not_before, error, stamp, attempts, delivery_id)
             for delivery_id, status, not_before, error, attempts in outcomes])
        return cursor.rowcount

    async def release(self, delivery_ids: Iterable[int]) -> None:
        """Claimed rows not sent (the broadcast was paused or cancelled, or the bot is stopping)
        go back: pending, or skipped when their broadcast was cancelled."""
        await self._db.executemany(
            "UPDATE deliveries SET status = CASE WHEN (SELECT status FROM broadcasts b"
            " WHERE b.id = deliveries.broadcast_id) = 'cancelled' THEN 'skipped' ELSE 'pending' END"
            " WHERE id = ? AND status = 'sending'", [(i,) for i in delivery_ids])

    async def release_in_flight(self, channel: str | None = None) -> int:
        """When a sender takes a channel over (at start, or from a process that died): rows of
        ``channel`` (of every channel when None) still 'sending' were in flight when the last
        sender stopped or crashed; they go back to pending and are sent again (the documented
        bound on duplicates)."""
        statement = ("UPDATE deliveries SET status = CASE WHEN (SELECT status FROM broadcasts b"
                     " WHERE b.id = deliveries.broadcast_id) = 'cancelled' THEN 'skipped' ELSE 'pending' END"
                     " WHERE status = 'sending'")
        if channel is None:
            cursor = await self._db.execute(statement)
        else:
            cursor = await self._db.execute(statement + " AND channel = ?", (channel,))
        return cursor.rowcount

    async def forget_unreachable(self, resident_ids: Iterable[int]) -> None:
        """A permanent failure: the resident cannot be written to; they leave every topic."""
        ids = [(i,) for i in set(resident_ids)]
        await self._db.executemany("UPDATE residents SET reachable = 0 WHERE id = ?", ids)
        await self._db.executemany("DELETE FROM subscriptions WHERE resident_id = ?", ids)
