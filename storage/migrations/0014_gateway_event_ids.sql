-- The generic gateway's event ids (its idempotency keys), each with a fingerprint of the event it
-- carried (a SHA-256 of the event's canonical JSON): the same id with the same event is a retry,
-- answered as a duplicate; the same id with another event is refused (409) instead of dropped.
-- Kept as long as the inbox keeps update ids (storage.processed_update_retention_days).
CREATE TABLE gateway_event_ids (
    event_id    TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX gateway_event_ids_by_age ON gateway_event_ids (received_at);
