-- Residents: one row per person per channel. Personal fields stay empty until consent.
CREATE TABLE residents (
    id              INTEGER PRIMARY KEY,
    channel         TEXT NOT NULL,
    external_id     TEXT NOT NULL,
    display_name    TEXT NOT NULL DEFAULT '',
    language        TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    phone_verified  INTEGER NOT NULL DEFAULT 0,
    consent_version TEXT,
    consent_at      TEXT,
    consent_declined_at TEXT,
    first_source    TEXT,
    reachable       INTEGER NOT NULL DEFAULT 1,
    state           TEXT NOT NULL DEFAULT '',
    state_data      TEXT NOT NULL DEFAULT '{}',
    created_at      TEXT NOT NULL,
    UNIQUE (channel, external_id)
);

-- Every inbound update, stored before the platform is told it arrived. payload is cleared
-- once processed; the (channel, update_id) key stays to recognise platform retries.
CREATE TABLE inbox (
    id           INTEGER PRIMARY KEY,
    channel      TEXT NOT NULL,
    update_id    TEXT NOT NULL,
    payload      TEXT,
    received_at  TEXT NOT NULL,
    processed_at TEXT,
    error        TEXT,
    UNIQUE (channel, update_id)
);
CREATE INDEX inbox_unprocessed ON inbox (id) WHERE processed_at IS NULL;

-- Every reply, written in the same transaction as the state change that produced it.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    channel     TEXT NOT NULL,
    external_id TEXT NOT NULL,
    inbox_id    INTEGER,
    payload     TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    created_at  TEXT NOT NULL,
    sent_at     TEXT
);
CREATE INDEX outbox_by_recipient ON outbox (channel, external_id, id);
CREATE INDEX outbox_pending ON outbox (channel, id) WHERE status = 'pending';
CREATE INDEX outbox_by_inbox ON outbox (inbox_id);

CREATE TABLE proposals (
    id          INTEGER PRIMARY KEY,
    resident_id INTEGER REFERENCES residents (id) ON DELETE SET NULL,
    channel     TEXT NOT NULL,
    source      TEXT,
    category    TEXT NOT NULL,
    text        TEXT NOT NULL,
    address     TEXT NOT NULL DEFAULT '',
    latitude    REAL,
    longitude   REAL,
    status      TEXT NOT NULL DEFAULT 'new',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX proposals_by_resident ON proposals (resident_id, id);

CREATE TABLE proposal_attachments (
    id          INTEGER PRIMARY KEY,
    proposal_id INTEGER NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    file_key    TEXT NOT NULL,
    mime_type   TEXT NOT NULL,
    position    INTEGER NOT NULL
);
CREATE INDEX attachments_by_proposal ON proposal_attachments (proposal_id);

CREATE TABLE subscriptions (
    resident_id INTEGER NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    topic       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (resident_id, topic)
) WITHOUT ROWID;

-- What was deleted at a resident's request, for the administration's records (152-FZ art. 21).
-- It names no person: the resident row it refers to is gone.
CREATE TABLE deletions (
    id          INTEGER PRIMARY KEY,
    resident_id INTEGER NOT NULL,
    channel     TEXT NOT NULL,
    deleted_at  TEXT NOT NULL,
    what        TEXT NOT NULL,
    kept        TEXT NOT NULL
);
