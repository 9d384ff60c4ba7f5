-- The buttons a resident was last shown (bot.keyboard_memory): so that a typed number or label
-- presses one after a restart too, and a keyboard cut into pages («Ещё…») can show its next page.
-- Bot-made content only; it goes with the resident's row when they are erased.
ALTER TABLE residents ADD COLUMN keyboard TEXT NOT NULL DEFAULT '{}';
