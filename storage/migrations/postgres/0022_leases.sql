-- Leases (SQLite's 0022): one row per piece of work that must run in one bot process of the
-- cluster at a time; storage/leases.py takes and renews them with one INSERT … ON CONFLICT.
CREATE TABLE leases (
    name       text PRIMARY KEY,
    holder     text NOT NULL,
    taken_at   text NOT NULL,
    expires_at text NOT NULL
);
