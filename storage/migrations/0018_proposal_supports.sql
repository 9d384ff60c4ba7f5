-- Residents who support a proposal instead of sending the same idea again (issue 13: similar
-- proposals): one support per resident per proposal. A resident's supports go with the resident
-- (/forget): ON DELETE CASCADE. When moderators merge a duplicate into a proposal, the duplicate's
-- supports (and its author, as one more) move to that proposal.
CREATE TABLE proposal_supports (
    proposal_id INTEGER NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    resident_id INTEGER NOT NULL REFERENCES residents (id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    UNIQUE (proposal_id, resident_id)
);
CREATE INDEX proposal_supports_of_resident ON proposal_supports (resident_id);

-- The similar-proposal index (storage/similar_proposals.py) takes in, before each lookup, the
-- proposals changed since its last look: a change number that only grows, in commit order (one
-- writer at a time), whatever the clock does. Set on insert and on every change of what the
-- index keeps (text, status, author).
ALTER TABLE proposals ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
UPDATE proposals SET revision = id;
CREATE INDEX proposals_by_revision ON proposals (revision);
CREATE TRIGGER proposals_revision_insert AFTER INSERT ON proposals BEGIN
    UPDATE proposals SET revision = (SELECT max(revision) FROM proposals) + 1 WHERE id = new.id;
END;
CREATE TRIGGER proposals_revision_update AFTER UPDATE OF text, status, resident_id ON proposals BEGIN
    UPDATE proposals SET revision = (SELECT max(revision) FROM proposals) + 1 WHERE id = new.id;
END;
