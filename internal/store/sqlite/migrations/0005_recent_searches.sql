-- Recent searches (issue 11): each person's last queries, most recent
-- first, so they follow the person from device to device. searched_at is
-- unix ms, kept strictly increasing per person by the store so the order
-- of two searches in one millisecond is still the order they were made.
CREATE TABLE recent_searches (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    query       TEXT    NOT NULL,
    searched_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX recent_searches_user_query ON recent_searches (user_id, query);
CREATE INDEX recent_searches_user_at ON recent_searches (user_id, searched_at);
