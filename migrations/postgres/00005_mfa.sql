-- +goose Up
-- Two-factor sign-in with an authenticator app (TOTP). totp_last_step is
-- the last 30-second time step a code was accepted for: a code is good
-- once, never for the same or an earlier step again.
ALTER TABLE users ADD COLUMN totp_secret text;
ALTER TABLE users ADD COLUMN totp_enabled_at timestamptz;
ALTER TABLE users ADD COLUMN totp_last_step bigint NOT NULL DEFAULT 0;

-- Recovery codes are kept as SHA-256 hashes of high-entropy random codes;
-- each is good for one sign-in (used_at is set when it is spent).
CREATE TABLE recovery_codes (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  text NOT NULL,
    created_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE UNIQUE INDEX recovery_codes_user_hash ON recovery_codes (user_id, code_hash);

-- One row per signed-in browser, so people can see and end their sessions.
-- Ending a session deletes its row; a request whose row is gone is signed out.
CREATE TABLE user_sessions (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    address      text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT '',
    method       text NOT NULL DEFAULT 'password'
);
CREATE INDEX user_sessions_user ON user_sessions (user_id, last_seen_at);

-- +goose Down
DROP TABLE user_sessions;
DROP TABLE recovery_codes;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_enabled_at;
ALTER TABLE users DROP COLUMN totp_secret;
