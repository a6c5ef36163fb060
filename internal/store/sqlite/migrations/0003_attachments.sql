-- Files posted as messages (issue 10): at most one per message, deleted
-- with it (and with its room). The bytes live in the blob store under
-- blob_key; a thumbnail, once made, under thumbnail_key. state is pending
-- (an image waiting for its thumbnail), ready or none.
CREATE TABLE attachments (
    message_id    INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    blob_key      TEXT    NOT NULL,
    filename      TEXT    NOT NULL,
    content_type  TEXT    NOT NULL,
    byte_size     INTEGER NOT NULL,
    width         INTEGER,
    height        INTEGER,
    thumbnail_key TEXT,
    state         TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX attachments_pending ON attachments (created_at) WHERE state = 'pending';
