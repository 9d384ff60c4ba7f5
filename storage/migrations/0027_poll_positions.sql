-- Where a long poll has stored up to (issue 15): VK's Bots Long Poll has no commit on VK's side,
-- so the ts after the last stored batch is kept here, per channel and key (the VK community id),
-- and a process on another machine that takes the poll over goes on from it. It replaces the
-- state file beside the database, which only the machine that wrote it could read.
CREATE TABLE poll_positions (
    channel    TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL,   -- UTC
    PRIMARY KEY (channel, key)
);
