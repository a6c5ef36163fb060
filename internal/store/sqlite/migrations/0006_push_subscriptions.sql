-- Web Push (issue 11). A subscription is one browser's push endpoint and
-- the keys its payloads are encrypted to; the endpoint is unique (one
-- browser profile is subscribed for whoever subscribed it last). Times are
-- unix ms; updated_at orders a person's devices for the per-person cap.
CREATE TABLE push_subscriptions (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    endpoint   TEXT    NOT NULL UNIQUE,
    p256dh     TEXT    NOT NULL,
    auth       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id, updated_at);

-- The server's VAPID key pair (RFC 8292), generated on first use unless the
-- environment gives one. Every subscription is bound to the public key, so
-- it lives beside them: backups, migrate-data and every instance share it.
CREATE TABLE vapid_keys (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    public_key  TEXT    NOT NULL,
    private_key TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
