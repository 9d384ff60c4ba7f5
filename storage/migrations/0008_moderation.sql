-- Moderation: what happened to each proposal, the experts' opinions, the answers moderators
-- reuse, and a full-text index of the proposals' words.

-- Why a proposal has its status, what it was merged into, and where an operator took it down.
ALTER TABLE proposals ADD COLUMN status_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE proposals ADD COLUMN duplicate_of INTEGER REFERENCES proposals (id) ON DELETE SET NULL;
ALTER TABLE proposals ADD COLUMN point TEXT NOT NULL DEFAULT '';          -- reception point, for operator entry
ALTER TABLE proposals ADD COLUMN author_name TEXT NOT NULL DEFAULT '';    -- personal data, operator entry only
ALTER TABLE proposals ADD COLUMN author_contact TEXT NOT NULL DEFAULT ''; -- personal data, operator entry only
ALTER TABLE proposals ADD COLUMN entered_by TEXT NOT NULL DEFAULT '';     -- the operator's user name
CREATE INDEX proposals_by_status ON proposals (status, id);
CREATE INDEX proposals_by_created ON proposals (created_at);

-- The proposal's history, oldest first. kind: status, answer, question (needs correction),
-- correction (the author's corrected text), opinion, merged, entered.
CREATE TABLE proposal_events (
    id          INTEGER PRIMARY KEY,
    proposal_id INTEGER NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,            -- a staff user name, or '' for the author
    kind        TEXT NOT NULL,
    from_status TEXT NOT NULL DEFAULT '',
    to_status   TEXT NOT NULL DEFAULT '',
    text        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX proposal_events_by_proposal ON proposal_events (proposal_id, id);

-- One opinion per expert per proposal; a second one replaces the first (history keeps both).
CREATE TABLE expert_opinions (
    proposal_id INTEGER NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    username    TEXT NOT NULL,
    verdict     TEXT NOT NULL CHECK (verdict IN ('possible', 'impossible', 'needs_correction')),
    comment     TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL,
    PRIMARY KEY (proposal_id, user_id)
) WITHOUT ROWID;

-- A question sent to the author ("needs correction"), open until the corrected text comes back.
CREATE TABLE correction_requests (
    id           INTEGER PRIMARY KEY,
    proposal_id  INTEGER NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    question     TEXT NOT NULL,
    asked_by     TEXT NOT NULL,
    asked_at     TEXT NOT NULL,
    answered_at  TEXT
);
CREATE INDEX correction_requests_open ON correction_requests (proposal_id) WHERE answered_at IS NULL;

CREATE TABLE answer_templates (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    text        TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Full-text search over the proposals' text and address, kept in step by triggers. unicode61
-- folds case in Cyrillic too; searches use prefix terms, which stands in for Russian stemming.
CREATE VIRTUAL TABLE proposals_fts USING fts5(
    text, address, content='proposals', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
INSERT INTO proposals_fts (proposals_fts) VALUES ('rebuild');

CREATE TRIGGER proposals_fts_insert AFTER INSERT ON proposals BEGIN
    INSERT INTO proposals_fts (rowid, text, address) VALUES (new.id, new.text, new.address);
END;
CREATE TRIGGER proposals_fts_delete AFTER DELETE ON proposals BEGIN
    INSERT INTO proposals_fts (proposals_fts, rowid, text, address) VALUES ('delete', old.id, old.text, old.address);
END;
CREATE TRIGGER proposals_fts_update AFTER UPDATE OF text, address ON proposals BEGIN
    INSERT INTO proposals_fts (proposals_fts, rowid, text, address) VALUES ('delete', old.id, old.text, old.address);
    INSERT INTO proposals_fts (rowid, text, address) VALUES (new.id, new.text, new.address);
END;
