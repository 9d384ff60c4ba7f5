-- Survey waves: a survey repeated on a schedule (the content file's surveys[].waves) is answered
-- once per wave, so a response belongs to (survey, wave, resident). Responses made before are
-- wave 1 of their survey: every survey without a schedule is one wave.
--
-- SQLite cannot change a UNIQUE constraint in place, so survey_responses is rebuilt with the same
-- ids (the search index's rowids are response ids) and the triggers naming it made again as 0021
-- left them (a rename would point them at the old table).

DROP TRIGGER survey_answers_fts_insert;
DROP TRIGGER survey_answers_fts_delete;
DROP TRIGGER survey_answers_fts_update;
DROP TRIGGER survey_answers_fts_definition;

ALTER TABLE survey_responses RENAME TO survey_responses_0024;

CREATE TABLE survey_responses (
    id           INTEGER PRIMARY KEY,
    survey_id    INTEGER NOT NULL REFERENCES content_items (id) ON DELETE CASCADE,
    wave         INTEGER NOT NULL DEFAULT 1 CHECK (wave >= 1),
    resident_id  INTEGER REFERENCES residents (id) ON DELETE SET NULL,
    channel      TEXT NOT NULL,
    answers      TEXT NOT NULL DEFAULT '{}',
    current      TEXT NOT NULL DEFAULT '',
    started_at   TEXT NOT NULL,
    completed_at TEXT,
    UNIQUE (survey_id, wave, resident_id)
);
INSERT INTO survey_responses (id, survey_id, wave, resident_id, channel, answers, current, started_at, completed_at)
    SELECT id, survey_id, 1, resident_id, channel, answers, current, started_at, completed_at FROM survey_responses_0024;
DROP TABLE survey_responses_0024;

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

-- A wave's reminder to the subscribers of the survey's topic: one row per wave that was settled,
-- written in the transaction that releases the reminder's broadcast (or with no broadcast when
-- the wave opened too long ago to be reminded of), so a wave is reminded of once, across restarts.
CREATE TABLE survey_wave_reminders (
    survey_id    INTEGER NOT NULL REFERENCES content_items (id) ON DELETE CASCADE,
    wave         INTEGER NOT NULL CHECK (wave >= 1),
    broadcast_id INTEGER REFERENCES broadcasts (id) ON DELETE SET NULL,
    settled_at   TEXT NOT NULL,
    PRIMARY KEY (survey_id, wave)
);
