-- Contest works are moderated in the staff panel as well as from the CLI: who decided, and the
-- reason a work was not accepted (its author is told it, in their own chat).
ALTER TABLE contest_entries ADD COLUMN moderation_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE contest_entries ADD COLUMN moderated_by TEXT NOT NULL DEFAULT '';
