-- Polls, quizzes, surveys and contests. Each keeps its whole definition (as loaded from a
-- content file or edited by staff) in `definition`, with the columns queries need beside it.

CREATE TABLE polls (
    id             INTEGER PRIMARY KEY,
    key            TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL CHECK (kind IN ('single', 'multiple', 'scores', 'top3')),
    definition     TEXT NOT NULL,
    opens_at       TEXT NOT NULL,
    closes_at      TEXT NOT NULL,
    results_sent_at TEXT,
    updated_at     TEXT NOT NULL
);

-- One ballot per voter per poll, enforced here: voter_key is 'resident:<id>', or 'phone:<E.164>'
-- for polls that require a verified phone, which de-duplicates one person across channels.
CREATE TABLE ballots (
    id          INTEGER PRIMARY KEY,
    poll_id     INTEGER NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    voter_key   TEXT NOT NULL,
    resident_id INTEGER REFERENCES residents (id) ON DELETE SET NULL,
    channel     TEXT NOT NULL,
    cast_at     TEXT NOT NULL,
    UNIQUE (poll_id, voter_key)
);

-- What a ballot says: an option, with a score (1-5) for score polls or a rank (1-3) for top-3.
CREATE TABLE ballot_choices (
    ballot_id  INTEGER NOT NULL REFERENCES ballots (id) ON DELETE CASCADE,
    option_key TEXT NOT NULL,
    score      INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (ballot_id, option_key)
) WITHOUT ROWID;
CREATE INDEX ballot_choices_by_option ON ballot_choices (option_key);

CREATE TABLE quizzes (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    opens_at   TEXT NOT NULL,
    closes_at  TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE quiz_attempts (
    id            INTEGER PRIMARY KEY,
    quiz_id       INTEGER NOT NULL REFERENCES quizzes (id) ON DELETE CASCADE,
    resident_id   INTEGER REFERENCES residents (id) ON DELETE SET NULL,
    score         INTEGER NOT NULL DEFAULT 0,
    answered      INTEGER NOT NULL DEFAULT 0,
    on_leaderboard INTEGER NOT NULL DEFAULT 0,
    leaderboard_name TEXT NOT NULL DEFAULT '',
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    UNIQUE (quiz_id, resident_id)
);

CREATE TABLE surveys (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    opens_at   TEXT NOT NULL,
    closes_at  TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- One response per resident per survey; answers is a JSON object {question key: answer}, so a
-- per-respondent export is one row per response.
CREATE TABLE survey_responses (
    id           INTEGER PRIMARY KEY,
    survey_id    INTEGER NOT NULL REFERENCES surveys (id) ON DELETE CASCADE,
    resident_id  INTEGER REFERENCES residents (id) ON DELETE SET NULL,
    channel      TEXT NOT NULL,
    answers      TEXT NOT NULL DEFAULT '{}',
    current      TEXT NOT NULL DEFAULT '',
    started_at   TEXT NOT NULL,
    completed_at TEXT,
    UNIQUE (survey_id, resident_id)
);

CREATE TABLE contests (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    opens_at   TEXT NOT NULL,
    closes_at  TEXT NOT NULL,
    voting_opens_at  TEXT NOT NULL,
    voting_closes_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE contest_entries (
    id          INTEGER PRIMARY KEY,
    contest_id  INTEGER NOT NULL REFERENCES contests (id) ON DELETE CASCADE,
    resident_id INTEGER REFERENCES residents (id) ON DELETE SET NULL,
    channel     TEXT NOT NULL,
    category    TEXT NOT NULL,
    age_group   TEXT NOT NULL,
    text        TEXT NOT NULL DEFAULT '',
    file_key    TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    created_at  TEXT NOT NULL,
    moderated_at TEXT
);
CREATE INDEX contest_entries_by_status ON contest_entries (contest_id, status, category);

CREATE TABLE contest_votes (
    contest_id  INTEGER NOT NULL REFERENCES contests (id) ON DELETE CASCADE,
    category    TEXT NOT NULL,
    voter_key   TEXT NOT NULL,
    resident_id INTEGER REFERENCES residents (id) ON DELETE SET NULL,
    entry_id    INTEGER NOT NULL REFERENCES contest_entries (id) ON DELETE CASCADE,
    cast_at     TEXT NOT NULL,
    PRIMARY KEY (contest_id, category, voter_key)
) WITHOUT ROWID;
