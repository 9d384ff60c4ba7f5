-- Forgetting a resident (/forget deletes the residents row) takes their name off every quiz
-- leaderboard. A trigger rather than code, so it holds whichever code deletes a resident; BEFORE
-- the delete, because afterwards ON DELETE SET NULL has already cleared quiz_attempts.resident_id.
-- The score itself stays, unnamed and off the board, as proposals stay without their author.
CREATE TRIGGER quiz_leaderboard_forgets_the_forgotten BEFORE DELETE ON residents
BEGIN
    UPDATE quiz_attempts SET on_leaderboard = 0, leaderboard_name = '' WHERE resident_id = OLD.id;
END;
