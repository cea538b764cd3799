-- +goose Up
-- Two-factor sign-in with an authenticator app (TOTP). totp_last_step is
-- the last 30-second time step a code was accepted for: a code is good
-- once, never for the same or an earlier step again.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at TEXT;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;

-- Recovery codes are kept as SHA-256 hashes of high-entropy random codes;
-- each is good for one sign-in (used_at is set when it is spent).
CREATE TABLE recovery_codes (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE UNIQUE INDEX recovery_codes_user_hash ON recovery_codes (user_id, code_hash);

-- One row per signed-in browser, so people can see and end their sessions.
-- Ending a session deletes its row; a request whose row is gone is signed out.
CREATE TABLE user_sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    address      TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    method       TEXT NOT NULL DEFAULT 'password'
);
CREATE INDEX user_sessions_user ON user_sessions (user_id, last_seen_at);

-- +goose Down
DROP TABLE user_sessions;
DROP TABLE recovery_codes;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_enabled_at;
ALTER TABLE users DROP COLUMN totp_secret;
