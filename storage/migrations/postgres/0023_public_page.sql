-- The public page (SQLite's 0023): what staff published, the text shown and the public answer.
ALTER TABLE proposals ADD COLUMN public integer NOT NULL DEFAULT 0 CHECK (public IN (0, 1));
ALTER TABLE proposals ADD COLUMN public_text text NOT NULL DEFAULT '';
ALTER TABLE proposals ADD COLUMN public_answer text NOT NULL DEFAULT '';

-- A text staff did not read is never public: a changed text takes the proposal off the page.
CREATE FUNCTION proposals_unpublished_when_text_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.public = 1 AND NEW.text IS DISTINCT FROM OLD.text THEN
        NEW.public := 0;
        NEW.public_text := '';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER proposals_unpublished_when_text_changes BEFORE UPDATE OF text ON proposals
    FOR EACH ROW EXECUTE FUNCTION proposals_unpublished_when_text_changes();

CREATE INDEX proposals_public ON proposals (id) WHERE public = 1;
CREATE INDEX proposals_public_by_category ON proposals (category, id) WHERE public = 1;

-- The page's ETag is the newest revision: what the page shows joins what counts as a change.
DROP TRIGGER proposals_revision_update ON proposals;
CREATE TRIGGER proposals_revision_update
    BEFORE UPDATE OF text, status, resident_id, category, address, latitude, longitude, public, public_text,
        public_answer
    ON proposals FOR EACH ROW EXECUTE FUNCTION proposals_revision();
