-- Link previews and uploaded avatars and logo (issue 10).

-- What the server found at a message's first link; at most one per message,
-- deleted with it (and with its room). The proxied image's bytes live in the
-- blob store under image_key ('' for none).
CREATE TABLE link_previews (
    message_id  INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    url         TEXT    NOT NULL,
    title       TEXT    NOT NULL DEFAULT '',
    description TEXT    NOT NULL DEFAULT '',
    site_name   TEXT    NOT NULL DEFAULT '',
    image_key   TEXT    NOT NULL DEFAULT '',
    image_type  TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);

-- Blob keys of uploaded pictures, '' for none (initials, the built-in icon).
-- A key embeds a hash of the picture, so a new one is a new key and URL.
ALTER TABLE users ADD COLUMN avatar_key TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN logo_key TEXT NOT NULL DEFAULT '';
