-- WhatsApp's 24-hour customer-service window: free-form messages may go to a number only within
-- 24 hours of its last message to us, so the time of that message is kept per number. Broadcasts
-- skipped outside the window (no approved template configured) are counted here too.
CREATE TABLE whatsapp_contacts (
    wa_id             TEXT PRIMARY KEY,     -- the resident's WhatsApp id (their number, digits)
    last_inbound_at   TEXT NOT NULL,        -- ISO 8601 UTC, when the resident last wrote
    skipped_broadcasts INTEGER NOT NULL DEFAULT 0
);

-- Delivery receipts from the webhook's "statuses": one row per message and status, so a receipt
-- delivered twice is recorded once.
CREATE TABLE whatsapp_statuses (
    message_id   TEXT NOT NULL,             -- the wamid returned when the message was sent
    status       TEXT NOT NULL,             -- sent, delivered, read, failed
    recipient_id TEXT NOT NULL,
    error_code   INTEGER,                   -- failed: WhatsApp's error code (131047, 131026, …)
    error_title  TEXT NOT NULL DEFAULT '',
    at           TEXT NOT NULL,             -- the platform's timestamp, ISO 8601 UTC
    PRIMARY KEY (message_id, status)
);
