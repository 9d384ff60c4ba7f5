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

-- The similar-proposal index (storage/similar_proposals.py) asks before each lookup for the
-- latest change: with this index that is one step, not a scan of every proposal.
CREATE INDEX proposals_by_updated ON proposals (updated_at);
