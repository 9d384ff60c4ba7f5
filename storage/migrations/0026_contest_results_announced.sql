-- A contest's results once staff sent them (the panel's «Разослать итоги», `contests results`):
-- the public page shows a contest's standings from then on. A table of its own because
-- content_items.results_sent_at is the polls' alone (a CHECK of migration 0021 says so).
CREATE TABLE contest_results_announced (
    contest_id   INTEGER PRIMARY KEY REFERENCES content_items (id) ON DELETE CASCADE,
    announced_at TEXT NOT NULL
);
