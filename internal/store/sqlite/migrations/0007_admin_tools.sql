-- Admin tools (issue 11). account_settings is one row (id 1) of the
-- account's options: whether only admins create rooms, and the account's
-- custom stylesheet with a version bumped on each change (its URL carries
-- it, so browsers fetch a new one). ban_ips remembers which banned
-- addresses a person's ban added, so unbanning the person lifts exactly
-- those. messages_creator finds a banned person's messages to remove.
CREATE TABLE account_settings (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    admins_create_rooms INTEGER NOT NULL DEFAULT 0,
    custom_css         TEXT    NOT NULL DEFAULT '',
    css_version        INTEGER NOT NULL DEFAULT 0,
    updated_at         INTEGER NOT NULL
);
CREATE TABLE ban_ips (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    ip         TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX ban_ips_user_ip ON ban_ips (user_id, ip);
CREATE INDEX messages_creator ON messages (creator_id, id);
