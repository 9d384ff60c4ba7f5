-- The staff panel: people who log in, their sessions, failed logins and what they did.
-- Passwords are argon2 hashes; a session is stored by the SHA-256 of its cookie token, so a
-- copy of the database does not let anyone log in.
CREATE TABLE staff_users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'staff', 'moderator', 'expert')),
    personal_data INTEGER NOT NULL DEFAULT 0,   -- may see residents' personal data (names, phones)
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    last_login_at TEXT
);

CREATE TABLE staff_sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    csrf        TEXT NOT NULL,
    address     TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX staff_sessions_by_expiry ON staff_sessions (expires_at);

-- Failed logins per key ('user:NAME' or 'address:IP'); cleared by a successful login.
CREATE TABLE login_failures (
    key       TEXT PRIMARY KEY,
    failures  INTEGER NOT NULL,
    last_at   TEXT NOT NULL
) WITHOUT ROWID;

-- Every staff action. username is copied so that the record outlives the account.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    user_id   INTEGER,
    username  TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL DEFAULT '',
    details   TEXT NOT NULL DEFAULT '{}',
    address   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_by_time ON audit_log (at);
