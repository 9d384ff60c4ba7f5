-- The weekly «срез мнений»: one row per finished week (Monday, UTC), written once, so the report
-- is generated and sent once even when the scheduler runs it again or the bot restarts.
CREATE TABLE weekly_reports (
    week       TEXT PRIMARY KEY,        -- the Monday that starts the week, YYYY-MM-DD
    body       TEXT NOT NULL,           -- the report as sent to staff, plain text
    created_at TEXT NOT NULL
);
