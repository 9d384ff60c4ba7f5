-- A contest's results once staff sent them (SQLite's 0026): the public page shows them from then on.
CREATE TABLE contest_results_announced (
    contest_id   bigint PRIMARY KEY REFERENCES content_items (id) ON DELETE CASCADE,
    announced_at text NOT NULL
);
