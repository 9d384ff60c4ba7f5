-- Full-text search by lemmas (storage/search.py): the indexes hold each word's dictionary forms,
-- computed by the search_lemmas functions every connection registers, and triggers keep them in
-- step in the same transaction as the texts. Existing rows are indexed here, so an existing
-- database finds «скамейки» by «скамейка» as soon as it is upgraded.

-- Proposals: the index of 0008 held the word forms as typed; it becomes one of lemmas.
DROP TRIGGER proposals_fts_insert;
DROP TRIGGER proposals_fts_delete;
DROP TRIGGER proposals_fts_update;
DROP TABLE proposals_fts;

CREATE VIRTUAL TABLE proposals_fts USING fts5(text, address, tokenize='unicode61 remove_diacritics 2');
INSERT INTO proposals_fts (rowid, text, address)
    SELECT id, search_lemmas(text), search_lemmas(address) FROM proposals;

CREATE TRIGGER proposals_fts_insert AFTER INSERT ON proposals BEGIN
    INSERT INTO proposals_fts (rowid, text, address) VALUES (new.id, search_lemmas(new.text), search_lemmas(new.address));
END;
CREATE TRIGGER proposals_fts_delete AFTER DELETE ON proposals BEGIN
    DELETE FROM proposals_fts WHERE rowid = old.id;
END;
CREATE TRIGGER proposals_fts_update AFTER UPDATE OF text, address ON proposals BEGIN
    DELETE FROM proposals_fts WHERE rowid = old.id;
    INSERT INTO proposals_fts (rowid, text, address) VALUES (new.id, search_lemmas(new.text), search_lemmas(new.address));
END;

-- Survey responses: the answers to text questions (the survey's definition says which).
CREATE VIRTUAL TABLE survey_answers_fts USING fts5(answers, tokenize='unicode61 remove_diacritics 2');
INSERT INTO survey_answers_fts (rowid, answers)
    SELECT r.id, search_answer_lemmas(r.answers, s.definition) FROM survey_responses r JOIN surveys s ON s.id = r.survey_id;

CREATE TRIGGER survey_answers_fts_insert AFTER INSERT ON survey_responses BEGIN
    INSERT INTO survey_answers_fts (rowid, answers) VALUES
        (new.id, search_answer_lemmas(new.answers, (SELECT definition FROM surveys WHERE id = new.survey_id)));
END;
CREATE TRIGGER survey_answers_fts_delete AFTER DELETE ON survey_responses BEGIN
    DELETE FROM survey_answers_fts WHERE rowid = old.id;
END;
-- A response is saved at every step; only a change of its answers re-indexes it.
CREATE TRIGGER survey_answers_fts_update AFTER UPDATE OF answers ON survey_responses
WHEN old.answers IS NOT new.answers BEGIN
    DELETE FROM survey_answers_fts WHERE rowid = old.id;
    INSERT INTO survey_answers_fts (rowid, answers) VALUES
        (new.id, search_answer_lemmas(new.answers, (SELECT definition FROM surveys WHERE id = new.survey_id)));
END;
-- An edited survey may turn a question into a text question or back.
CREATE TRIGGER survey_answers_fts_definition AFTER UPDATE OF definition ON surveys
WHEN old.definition IS NOT new.definition BEGIN
    DELETE FROM survey_answers_fts WHERE rowid IN (SELECT id FROM survey_responses WHERE survey_id = new.id);
    INSERT INTO survey_answers_fts (rowid, answers)
        SELECT id, search_answer_lemmas(answers, new.definition) FROM survey_responses WHERE survey_id = new.id;
END;

-- Contest works: the text sent with the drawing or essay.
CREATE VIRTUAL TABLE contest_entries_fts USING fts5(text, tokenize='unicode61 remove_diacritics 2');
INSERT INTO contest_entries_fts (rowid, text) SELECT id, search_lemmas(text) FROM contest_entries;

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
