-- Broadcasts: one row per announcement, one delivery row per recipient written before the first
-- send, so a crash or a restart resumes where sending stopped and no recipient is lost.
CREATE TABLE broadcasts (
    id           INTEGER PRIMARY KEY,
    title        TEXT NOT NULL,
    texts        TEXT NOT NULL,                -- JSON {language: jinja2 template}
    buttons      TEXT NOT NULL DEFAULT '[]',   -- JSON rows of {label, url | payload}
    media        TEXT NOT NULL DEFAULT '[]',   -- JSON list of {kind, url | file_key}
    audience     TEXT NOT NULL,                -- JSON: the filter the recipients were chosen by
    topic        TEXT,                         -- the subscription topic it belongs to, if any
    status       TEXT NOT NULL DEFAULT 'draft'
                 CHECK (status IN ('draft', 'scheduled', 'sending', 'paused', 'done', 'cancelled')),
    send_at      TEXT,                         -- UTC; when a scheduled broadcast starts
    recipients   INTEGER NOT NULL DEFAULT 0,
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    started_at   TEXT,
    finished_at  TEXT
);
CREATE INDEX broadcasts_by_status ON broadcasts (status, send_at);

-- status: pending → sending (claimed: the request is about to leave) → sent | failed | unknown |
-- skipped. A row still 'sending' after a crash was in flight: its outcome is unknown.
CREATE TABLE deliveries (
    id           INTEGER PRIMARY KEY,
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
    resident_id  INTEGER REFERENCES residents (id) ON DELETE SET NULL,
    channel      TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    language     TEXT NOT NULL DEFAULT '',
    name         TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'unknown', 'skipped')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    not_before   TEXT,                         -- UTC; a retry waits until then
    error        TEXT,
    sent_at      TEXT,
    UNIQUE (broadcast_id, channel, external_id)
);
CREATE INDEX deliveries_queue ON deliveries (broadcast_id, channel, status, id);

-- Episode series (the cartoon «ПАРКУ БЫТЬ!»): each episode is announced once at its air time to
-- the series' subscribers. broadcast_id is set in the transaction that creates the broadcast,
-- which is what makes "never twice" hold across restarts.
CREATE TABLE series (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    topic      TEXT NOT NULL,                  -- the subscription topic of its subscribers
    definition TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE episodes (
    id           INTEGER PRIMARY KEY,
    series_id    INTEGER NOT NULL REFERENCES series (id) ON DELETE CASCADE,
    number       INTEGER NOT NULL,
    definition   TEXT NOT NULL,                -- JSON: title, description, video_url, file_key
    air_at       TEXT NOT NULL,                -- UTC
    broadcast_id INTEGER REFERENCES broadcasts (id) ON DELETE SET NULL,
    announced_at TEXT,
    updated_at   TEXT NOT NULL,
    UNIQUE (series_id, number)
);
CREATE INDEX episodes_due ON episodes (air_at) WHERE announced_at IS NULL;
