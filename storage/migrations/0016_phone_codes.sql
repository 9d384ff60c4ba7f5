-- One-time codes sent by SMS to confirm that a phone number is the resident's (handlers/sms_codes.py).
-- Only a salted SHA-256 of a code is kept, never the code. A resident's codes go with the resident
-- (/forget): ON DELETE CASCADE. status: pending (written, the SMS not yet sent), sent, unknown (the
-- gateway did not answer in time, or the bot stopped mid-send: it may have arrived), failed (not
-- sent), used (it confirmed the number), void (replaced by a newer code, expired or guessed at too often).
CREATE TABLE phone_codes (
    id          INTEGER PRIMARY KEY,
    resident_id INTEGER NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
    phone       TEXT NOT NULL,
    code_hash   TEXT NOT NULL,
    salt        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sent', 'unknown', 'failed', 'used', 'void'))
);
CREATE INDEX phone_codes_of_resident ON phone_codes (resident_id, created_at);
CREATE INDEX phone_codes_pending ON phone_codes (status) WHERE status = 'pending';

-- SMS sent to a number within the last day, for sms.codes_per_phone_per_day: a SHA-256 of the
-- number, tied to no resident, so that /forget (which deletes the codes above) does not reset the
-- count of a number someone keeps sending codes to. Rows older than a day are deleted.
CREATE TABLE sms_sent (
    id           INTEGER PRIMARY KEY,
    phone_digest TEXT NOT NULL,
    sent_at      TEXT NOT NULL
);
CREATE INDEX sms_sent_by_phone ON sms_sent (phone_digest, sent_at);
