-- Polls, quizzes, surveys and contests were four tables of one shape (a key, the definition as
-- JSON, its times); they become one, content_items, with the kind beside the key. The columns
-- only one kind has stay NULL for the others: a poll's kind (poll_kind) and when its results were
-- sent, a contest's voting times. A CHECK holds each kind to its columns.
--
-- The four kinds had an id space each (poll 1 and survey 1 both existed), content_items has one,
-- so every item gets a new id and the rows that name one (ballots, quiz attempts, survey
-- responses, contest entries and votes) are carried over with the new id, found by kind and key,
-- which were unique before as they are now. Their own ids do not change, so the search indexes
-- (rowid = response or entry id), ballot choices and contest votes still point at the same rows.
--
-- SQLite cannot point a foreign key elsewhere in place, so those tables are rebuilt. The
-- migration runs with foreign keys on, where dropping a table deletes its rows first and
-- cascades: the old tables are renamed out of the way (their children follow the new names),
-- the new ones made and filled, and the old ones dropped children first, so no cascade reaches
-- a new row. The triggers that name these tables are dropped first and made again at the end.

DROP TRIGGER ballots_forget_the_phone;
DROP TRIGGER quiz_leaderboard_forgets_the_forgotten;
DROP TRIGGER survey_answers_fts_insert;
DROP TRIGGER survey_answers_fts_delete;
DROP TRIGGER survey_answers_fts_update;
DROP TRIGGER survey_answers_fts_definition;
DROP TRIGGER contest_entries_fts_insert;
DROP TRIGGER contest_entries_fts_delete;
DROP TRIGGER contest_entries_fts_update;
DROP INDEX ballot_choices_by_option;
DROP INDEX contest_entries_by_status;

ALTER TABLE ballot_choices RENAME TO ballot_choices_0020;
ALTER TABLE ballots RENAME TO ballots_0020;
ALTER TABLE quiz_attempts RENAME TO quiz_attempts_0020;
ALTER TABLE survey_responses RENAME TO survey_responses_0020;
ALTER TABLE contest_votes RENAME TO contest_votes_0020;
ALTER TABLE contest_entries RENAME TO contest_entries_0020;
ALTER TABLE polls RENAME TO polls_0020;
ALTER TABLE quizzes RENAME TO quizzes_0020;
ALTER TABLE surveys RENAME TO surveys_0020;
ALTER TABLE contests RENAME TO contests_0020;

CREATE TABLE content_items (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('polls', 'quizzes', 'surveys', 'contests')),
    key              TEXT NOT NULL,
    definition       TEXT NOT NULL,
    opens_at         TEXT NOT NULL,
    closes_at        TEXT NOT NULL,
    voting_opens_at  TEXT,
    voting_closes_at TEXT,
    poll_kind        TEXT CHECK (poll_kind IN ('single', 'multiple', 'scores', 'top3')),
    results_sent_at  TEXT,
    updated_at       TEXT NOT NULL,
    UNIQUE (kind, key),
    CHECK ((kind = 'polls') = (poll_kind IS NOT NULL)),
    CHECK (kind = 'polls' OR results_sent_at IS NULL),
    CHECK ((kind = 'contests') = (voting_opens_at IS NOT NULL AND voting_closes_at IS NOT NULL))
);
INSERT INTO content_items (kind, key, definition, opens_at, closes_at, poll_kind, results_sent_at, updated_at)
    SELECT 'polls', key, definition, opens_at, closes_at, kind, results_sent_at, updated_at FROM polls_0020 ORDER BY id;
INSERT INTO content_items (kind, key, definition, opens_at, closes_at, updated_at)
    SELECT 'quizzes', key, definition, opens_at, closes_at, updated_at FROM quizzes_0020 ORDER BY id;
INSERT INTO content_items (kind, key, definition, opens_at, closes_at, updated_at)
    SELECT 'surveys', key, definition, opens_at, closes_at, updated_at FROM surveys_0020 ORDER BY id;
INSERT INTO content_items (kind, key, definition, opens_at, closes_at, voting_opens_at, voting_closes_at, updated_at)
    SELECT 'contests', key, definition, opens_at, closes_at, voting_opens_at, voting_closes_at, updated_at
    FROM contests_0020 ORDER BY id;

CREATE TABLE ballots (
    id          INTEGER PRIMARY KEY,
    poll_id     INTEGER NOT NULL REFERENCES content_items (id) ON DELETE CASCADE,
    voter_key   TEXT NOT NULL,
    resident_id INTEGER REFERENCES residents (id) ON DELETE SET NULL,
    channel     TEXT NOT NULL,
    cast_at     TEXT NOT NULL,
    UNIQUE (poll_id, voter_key)
);
INSERT INTO ballots (id, poll_id, voter_key, resident_id, channel, cast_at)
    SELECT b.id, c.id, b.voter_key, b.resident_id, b.channel, b.cast_at FROM ballots_0020 b
    JOIN polls_0020 p ON p.id = b.poll_id JOIN content_items c ON c.kind = 'polls' AND c.key = p.key;

CREATE TABLE ballot_choices (
    ballot_id  INTEGER NOT NULL REFERENCES ballots (id) ON DELETE CASCADE,
    option_key TEXT NOT NULL,
    score      INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (ballot_id, option_key)
) WITHOUT ROWID;
INSERT INTO ballot_choices (ballot_id, option_key, score) SELECT ballot_id, option_key, score FROM ballot_choices_0020;

CREATE TABLE quiz_attempts (
    id            INTEGER PRIMARY KEY,
    quiz_id       INTEGER NOT NULL REFERENCES content_items (id) ON DELETE CASCADE,
    resident_id   INTEGER REFERENCES residents (id) ON DELETE SET NULL,
    score         INTEGER NOT NULL DEFAULT 0,
    answered      INTEGER NOT NULL DEFAULT 0,
    on_leaderboard INTEGER NOT NULL DEFAULT 0,
    leaderboard_name TEXT NOT NULL DEFAULT '',
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    UNIQUE (quiz_id, resident_id)
);
INSERT INTO quiz_attempts (id, quiz_id, resident_id, score, answered, on_leaderboard, leaderboard_name, started_at,
                           finished_at)
    SELECT a.id, c.id, a.resident_id, a.score, a.answered, a.on_leaderboard, a.leaderboard_name, a.started_at,
           a.finished_at FROM quiz_attempts_0020 a
    JOIN quizzes_0020 q ON q.id = a.quiz_id JOIN content_items c ON c.kind = 'quizzes' AND c.key = q.key;

CREATE TABLE survey_responses (
    id           INTEGER PRIMARY KEY,
    survey_id    INTEGER NOT NULL REFERENCES content_items (id) ON DELETE CASCADE,
    resident_id  INTEGER REFERENCES residents (id) ON DELETE SET NULL,
    channel      TEXT NOT NULL,
    answers      TEXT NOT NULL DEFAULT '{}',
    current      TEXT NOT NULL DEFAULT '',
    started_at   TEXT NOT NULL,
    completed_at TEXT,
    UNIQUE (survey_id, resident_id)
);
INSERT INTO survey_responses (id, survey_id, resident_id, channel, answers, current, started_at, completed_at)
    SELECT r.id, c.id, r.resident_id, r.channel, r.answers, r.current, r.started_at, r.completed_at
    FROM survey_responses_0020 r
    JOIN surveys_0020 s ON s.id = r.survey_id JOIN content_items c ON c.kind = 'surveys' AND c.key = s.key;

CREATE TABLE contest_entries (
    id          INTEGER PRIMARY KEY,
    contest_id  INTEGER NOT NULL REFERENCES content_items (id) ON DELETE CASCADE,
    resident_id INTEGER REFERENCES residents (id) ON DELETE SET NULL,
    channel     TEXT NOT NULL,
    category    TEXT NOT NULL,
    age_group   TEXT NOT NULL,
    text        TEXT NOT NULL DEFAULT '',
    file_key    TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    created_at  TEXT NOT NULL,
    moderated_at TEXT,
    moderation_reason TEXT NOT NULL DEFAULT '',
    moderated_by TEXT NOT NULL DEFAULT ''
);
INSERT INTO contest_entries (id, contest_id, resident_id, channel, category, age_group, text, file_key, status,
                             created_at, moderated_at, moderation_reason, moderated_by)
    SELECT e.id, c.id, e.resident_id, e.channel, e.category, e.age_group, e.text, e.file_key, e.status,
           e.created_at, e.moderated_at, e.moderation_reason, e.moderated_by FROM contest_entries_0020 e
    JOIN contests_0020 k ON k.id = e.contest_id JOIN content_items c ON c.kind = 'contests' AND c.key = k.key;

CREATE TABLE contest_votes (
    contest_id  INTEGER NOT NULL REFERENCES content_items (id) ON DELETE CASCADE,
    category    TEXT NOT NULL,
    voter_key   TEXT NOT NULL,
    resident_id INTEGER REFERENCES residents (id) ON DELETE SET NULL,
    entry_id    INTEGER NOT NULL REFERENCES contest_entries (id) ON DELETE CASCADE,
    cast_at     TEXT NOT NULL,
    PRIMARY KEY (contest_id, category, voter_key)
) WITHOUT ROWID;
INSERT INTO contest_votes (contest_id, category, voter_key, resident_id, entry_id, cast_at)
    SELECT c.id, v.category, v.voter_key, v.resident_id, v.entry_id, v.cast_at FROM contest_votes_0020 v
    JOIN contests_0020 k ON k.id = v.contest_id JOIN content_items c ON c.kind = 'contests' AND c.key = k.key;

DROP TABLE ballot_choices_0020;
DROP TABLE ballots_0020;
DROP TABLE quiz_attempts_0020;
DROP TABLE survey_responses_0020;
DROP TABLE contest_votes_0020;
DROP TABLE contest_entries_0020;
DROP TABLE polls_0020;
DROP TABLE quizzes_0020;
DROP TABLE surveys_0020;
DROP TABLE contests_0020;

CREATE INDEX ballot_choices_by_option ON ballot_choices (option_key);
CREATE INDEX contest_entries_by_status ON contest_entries (contest_id, status, category);

-- As 0004 and 0003 made them: forgetting a resident takes their phone out of their ballots and
-- their name off every quiz leaderboard.
CREATE TRIGGER ballots_forget_the_phone BEFORE DELETE ON residents
BEGIN
    UPDATE ballots SET voter_key = 'forgotten:' || id WHERE resident_id = OLD.id AND voter_key LIKE 'phone:%';
END;
CREATE TRIGGER quiz_leaderboard_forgets_the_forgotten BEFORE DELETE ON residents
BEGIN
    UPDATE quiz_attempts SET on_leaderboard = 0, leaderboard_name = '' WHERE resident_id = OLD.id;
END;

-- As 0017 made them, reading a survey's definition from content_items.
CREATE TRIGGER survey_answers_fts_insert AFTER INSERT ON survey_responses BEGIN
    INSERT INTO survey_answers_fts (rowid, answers) VALUES
        (new.id, search_answer_lemmas(new.answers, (SELECT definition FROM content_items WHERE id = new.survey_id)));
END;
CREATE TRIGGER survey_answers_fts_delete AFTER DELETE ON survey_responses BEGIN
    DELETE FROM survey_answers_fts WHERE rowid = old.id;
END;
CREATE TRIGGER survey_answers_fts_update AFTER UPDATE OF answers ON survey_responses
WHEN old.answers IS NOT new.answers BEGIN
    DELETE FROM survey_answers_fts WHERE rowid = old.id;
    INSERT INTO survey_answers_fts (rowid, answers) VALUES
        (new.id, search_answer_lemmas(new.answers, (SELECT definition FROM content_items WHERE id = new.survey_id)));
END;
CREATE TRIGGER survey_answers_fts_definition AFTER UPDATE OF definition ON content_items
WHEN new.kind = 'surveys' AND old.definition IS NOT new.definition BEGIN
    DELETE FROM survey_answers_fts WHERE rowid IN (SELECT id FROM survey_responses WHERE survey_id = new.id);
    INSERT INTO survey_answers_fts (rowid, answers)
        SELECT id, search_answer_lemmas(answers, new.definition) FROM survey_responses WHERE survey_id = new.id;
END;

CREATE TRIGGER contest_entries_fts_insert AFTER INSERT ON contest_entries BEGIN
    INSERT INTO contest_entries_fts (rowid, text) VALUES (new.id, search_lemmas(new.text));
END;
CREATE TRIGGER contest_entries_fts_delete AFTER DELETE ON contest_entries BEGIN
    DELETE FROM contest_entries_fts WHERE rowid = old.id;
END;
CREATE TRIGGER contest_entries_fts_update AFTER UPDATE OF text ON contest_entries BEGIN
    DELETE FROM contest_entries_fts WHERE rowid = old.id;
    INSERT INTO contest_entries_fts (rowid, text) VALUES (new.id, search_lemmas(new.text));
END;
