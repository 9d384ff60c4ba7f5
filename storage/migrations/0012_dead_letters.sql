-- An event whose processing keeps failing is not retried forever: each failed attempt is counted,
-- and after the configured number of attempts the row becomes a dead letter (dead_at set, error
-- says why) that staff see in the panel. A webhook body that carries a valid signature but cannot
-- be parsed is stored straight away as a dead letter, so the platform gets its 200 and stops
-- retrying, and staff can still see what arrived.
ALTER TABLE inbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbox ADD COLUMN dead_at TEXT;
CREATE INDEX inbox_dead ON inbox (dead_at) WHERE dead_at IS NOT NULL;
