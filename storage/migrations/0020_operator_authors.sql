-- Authors of proposals entered by an operator (phone, paper, a reception point): their phone
-- number in E.164, for a receipt and status notices by SMS, and when they agreed to the
-- processing of their data (the operator ticks it; a name or a number is not kept without it).
-- Personal data: cleared by an erasure by that number (storage/privacy.py). The reception point
-- (proposals.point) holds the key of a configured point (proposals.reception_points) from now on;
-- entries made before hold the free text the operator typed.
ALTER TABLE proposals ADD COLUMN author_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE proposals ADD COLUMN author_consent_at TEXT;
CREATE INDEX proposals_by_author_phone ON proposals (author_phone) WHERE author_phone != '';
