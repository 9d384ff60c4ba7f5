-- Leases: one row per piece of work that must run in one bot process of the cluster at a time
-- (a long poll per platform token, a broadcast sender per token, the scheduler). A process holds
-- a lease until expires_at and renews it well before; another takes it once it has expired
-- (storage/leases.py, bot/leadership.py). Times are ISO 8601 in UTC, as everywhere in storage.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,     -- what is leased: "receive:telegram:<digest of the token>"
    holder     TEXT NOT NULL,        -- the process: "<host>:<pid>:<random>"
    taken_at   TEXT NOT NULL,        -- when this holder took it (renewals keep it)
    expires_at TEXT NOT NULL         -- free for another process from this moment
);
