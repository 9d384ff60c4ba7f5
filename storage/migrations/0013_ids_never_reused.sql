-- Inbox and outbox ids are never used twice. Without AUTOINCREMENT SQLite gives a new row the
-- largest id in the table plus one, so after /forget deleted a resident's latest replies the
-- confirmation of the erasure got one of their ids again: the web chat, which asks for replies
-- "after" the last id it has seen, never showed it, and a gateway that deduplicates by
-- "reply-<id>" would drop it. AUTOINCREMENT keeps the largest id ever given in sqlite_sequence.
-- A column cannot be made AUTOINCREMENT in place: both tables are rebuilt with their data, ids,
-- constraints and indexes (no trigger and no foreign key refers to either table).
--
-- outbox.erase_after: the row is addressed to a resident who asked to be forgotten (the
-- confirmation of the erasure). It is deleted as soon as it is delivered, and at the latest at
-- this time (UTC), so that no row keeps naming the erased platform id.

CREATE TABLE outbox_rebuilt (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    channel     TEXT NOT NULL,
    external_id TEXT NOT NULL,
    inbox_id    INTEGER,
    payload     TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    created_at  TEXT NOT NULL,
    sent_at     TEXT,
    erase_after TEXT
);
INSERT INTO outbox_rebuilt (id, channel, external_id, inbox_id, payload, status, attempts, error, created_at, sent_at)
    SELECT id, channel, external_id, inbox_id, payload, status, attempts, error, created_at, sent_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_rebuilt RENAME TO outbox;
CREATE INDEX outbox_by_recipient ON outbox (channel, external_id, id);
CREATE INDEX outbox_pending ON outbox (channel, id) WHERE status = 'pending';
CREATE INDEX outbox_by_inbox ON outbox (inbox_id);
CREATE INDEX outbox_to_erase ON outbox (erase_after) WHERE erase_after IS NOT NULL;

CREATE TABLE inbox_rebuilt (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    channel      TEXT NOT NULL,
    update_id    TEXT NOT NULL,
    payload      TEXT,
    received_at  TEXT NOT NULL,
    processed_at TEXT,
    error        TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    dead_at      TEXT,
    UNIQUE (channel, update_id)
);
INSERT INTO inbox_rebuilt (id, channel, update_id, payload, received_at, processed_at, error, attempts, dead_at)
    SELECT id, channel, update_id, payload, received_at, processed_at, error, attempts, dead_at FROM inbox;
DROP TABLE inbox;
ALTER TABLE inbox_rebuilt RENAME TO inbox;
CREATE INDEX inbox_unprocessed ON inbox (id) WHERE processed_at IS NULL;
CREATE INDEX inbox_dead ON inbox (dead_at) WHERE dead_at IS NOT NULL;
