-- Campfire's schema. Times are INTEGER unix milliseconds UTC.

-- The one account: the CHECK makes a second setup a unique violation.
CREATE TABLE accounts (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    name       TEXT    NOT NULL,
    join_code  TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL,
    email          TEXT,   -- NULL for bots
    role           TEXT    NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'active',
    password_hash  TEXT    NOT NULL DEFAULT '',
    bio            TEXT    NOT NULL DEFAULT '',
    bot_token_hash TEXT    NOT NULL DEFAULT '',
    webhook_url    TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
-- The store writes a missing email as NULL, so bots do not collide and
-- `email = ?` implies the index's condition.
CREATE UNIQUE INDEX users_email ON users (email) WHERE email IS NOT NULL;
CREATE INDEX users_status_name ON users (status, name);

CREATE TABLE sessions (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash     TEXT    NOT NULL UNIQUE,
    ip             TEXT    NOT NULL DEFAULT '',
    user_agent     TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    last_active_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id, last_active_at);

-- Rooms, messages and boosts are AUTOINCREMENT: without it SQLite reuses
-- the id of a deleted newest row, and clients keep ids (de-duplication,
-- ?after=ID paging) that must never come to name something else.
CREATE TABLE rooms (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT    NOT NULL,
    type            TEXT    NOT NULL,
    creator_id      INTEGER NOT NULL REFERENCES users (id),
    -- chat.DirectKey of the members, for direct rooms only: one room per set.
    direct_key      TEXT,
    last_seq        INTEGER NOT NULL DEFAULT 0,
    last_message_at INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX rooms_direct_key ON rooms (direct_key) WHERE direct_key IS NOT NULL;
CREATE INDEX rooms_type ON rooms (type);

CREATE TABLE memberships (
    room_id     INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    involvement TEXT    NOT NULL,
    unread_at   INTEGER,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (room_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_user ON memberships (user_id);
-- Every post marks the room unread for the members still clear; this index
-- holds only those, so a post to a big room does not walk the members who
-- are already unread.
CREATE INDEX memberships_clear ON memberships (room_id)
    WHERE unread_at IS NULL AND involvement <> 'invisible';

CREATE TABLE messages (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id           INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq               INTEGER NOT NULL,
    creator_id        INTEGER NOT NULL REFERENCES users (id),
    client_message_id TEXT,
    body              TEXT    NOT NULL,
    body_html         TEXT    NOT NULL,
    created_at        INTEGER NOT NULL,
    -- Equal to created_at until an edit or a boost, which keep it strictly
    -- greater: that is how MessagesUpdatedSince tells them from new posts.
    updated_at        INTEGER NOT NULL
);
CREATE UNIQUE INDEX messages_room_seq ON messages (room_id, seq);
-- Paging by id within a room (an index on room_id is ordered by rowid).
CREATE INDEX messages_room ON messages (room_id);
CREATE UNIQUE INDEX messages_client_id ON messages (room_id, creator_id, client_message_id)
    WHERE client_message_id IS NOT NULL;
CREATE INDEX messages_room_updated ON messages (room_id, updated_at)
    WHERE updated_at > created_at;

CREATE TABLE mentions (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (message_id, user_id)
) WITHOUT ROWID;

CREATE TABLE boosts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    booster_id INTEGER NOT NULL REFERENCES users (id),
    content    TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX boosts_message ON boosts (message_id);

CREATE TABLE bans (
    id         INTEGER PRIMARY KEY,
    ip         TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- External-content full-text index over messages.body. New messages are
-- indexed by the store at the end of each write batch (an insert trigger
-- would make FTS5 flush a segment per message: it flushes at every
-- statement savepoint); edits and deletions, including rows removed by ON
-- DELETE CASCADE, are kept in step by the triggers below.
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    body,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;

CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
END;
