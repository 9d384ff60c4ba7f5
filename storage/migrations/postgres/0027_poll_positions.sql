-- Where a long poll has stored up to (SQLite's 0027): VK's ts per community, read by whichever
-- process takes the poll over.
CREATE TABLE poll_positions (
    channel    text NOT NULL,
    key        text NOT NULL,
    value      text NOT NULL,
    updated_at text NOT NULL,
    PRIMARY KEY (channel, key)
);
