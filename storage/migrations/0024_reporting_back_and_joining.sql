-- Reporting back (issue 16, point 4): what became of a resident's proposals, told in one digest
-- every few days. The mark is the last proposal_events id a resident has been told of and when
-- the digest was made, so a restart never sends the same digest again. It goes with the resident.
CREATE TABLE digest_marks (
    resident_id INTEGER PRIMARY KEY REFERENCES residents (id) ON DELETE CASCADE,
    told_up_to  INTEGER NOT NULL DEFAULT 0,   -- proposal_events.id
    sent_at     TEXT NOT NULL                 -- UTC
);

-- A delivery may carry its own message (a digest differs for each recipient): the neutral reply
-- as JSON; NULL for an ordinary broadcast, rendered from the broadcast's texts. Cleared once the
-- delivery is settled, and the row goes with the resident (trigger of migration 0006).
ALTER TABLE deliveries ADD COLUMN reply TEXT;

-- «Присоединяйтесь» (issue 16, point 5): residents and organisations who offered to help, with
-- their own consent to this data's processing (separate from the general consent). One offer per
-- resident, replaced when they send it again; it goes with the resident (/forget) or on «leave».
CREATE TABLE volunteers (
    id           INTEGER PRIMARY KEY,
    resident_id  INTEGER NOT NULL UNIQUE REFERENCES residents (id) ON DELETE CASCADE,
    channel      TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('person', 'organisation')),
    name         TEXT NOT NULL,
    contact_kind TEXT NOT NULL CHECK (contact_kind IN ('phone', 'email', 'messenger')),
    contact      TEXT NOT NULL DEFAULT '',
    help         TEXT NOT NULL DEFAULT '[]',  -- JSON list of the keys of joining.help_options
    help_other   TEXT NOT NULL DEFAULT '',
    consent_at   TEXT NOT NULL,               -- UTC: when they agreed to this data's processing
    joined_at    TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX volunteers_by_kind ON volunteers (kind, id);
