-- The public page and open-data feed (issue 16): staff choose which proposals residents and the
-- city's site may see, with the text shown there and a public answer. Nothing is public until
-- staff say so (public = 0). The public text is the author's, with names, phones and e-mail
-- taken out, as staff read and approved it; the answer sent to the author stays private (it may
-- greet them by name). Spam and merged duplicates stay hidden whatever the flag says
-- (storage/public.py holds that rule).
ALTER TABLE proposals ADD COLUMN public INTEGER NOT NULL DEFAULT 0 CHECK (public IN (0, 1));
ALTER TABLE proposals ADD COLUMN public_text TEXT NOT NULL DEFAULT '';
ALTER TABLE proposals ADD COLUMN public_answer TEXT NOT NULL DEFAULT '';

-- A text staff did not read is never public: when the author's text changes (a correction, or
-- its erasure at the author's request) the proposal leaves the page until staff publish it again.
CREATE TRIGGER proposals_unpublished_when_text_changes AFTER UPDATE OF text ON proposals
WHEN old.public = 1 AND new.text IS NOT old.text BEGIN
    UPDATE proposals SET public = 0, public_text = '' WHERE id = new.id;
END;
-- The page lists the public ones newest first, by category or not (by status: proposals_by_status).
CREATE INDEX proposals_public ON proposals (id) WHERE public = 1;
CREATE INDEX proposals_public_by_category ON proposals (category, id) WHERE public = 1;

-- The page's ETag is the newest revision (migration 0018): a change of what it shows must give
-- a new one, so publishing, the public answer, the category and the place join what counts.
DROP TRIGGER proposals_revision_update;
CREATE TRIGGER proposals_revision_update
AFTER UPDATE OF text, status, resident_id, category, address, latitude, longitude, public, public_text,
    public_answer
ON proposals BEGIN
    UPDATE proposals SET revision = (SELECT max(revision) FROM proposals) + 1 WHERE id = new.id;
END;
