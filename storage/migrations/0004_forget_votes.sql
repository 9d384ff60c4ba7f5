-- Forgetting a resident also takes their phone number out of the votes they cast by phone:
-- the voter key of a phone ballot is the number itself. The ballot stays, counted, under a key
-- that names no one; survey responses, contest entries and quiz scores stay too, their
-- resident_id cleared by ON DELETE SET NULL.
CREATE TRIGGER ballots_forget_the_phone BEFORE DELETE ON residents
BEGIN
    UPDATE ballots SET voter_key = 'forgotten:' || id WHERE resident_id = OLD.id AND voter_key LIKE 'phone:%';
END;
