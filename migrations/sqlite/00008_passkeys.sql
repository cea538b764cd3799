-- +goose Up
-- Passkeys (WebAuthn). webauthn_handle is the user handle authenticators
-- keep with each of the user's passkeys: random, stable for the user, made
-- when the first passkey is added, and never shown.
ALTER TABLE users ADD COLUMN webauthn_handle BLOB;
CREATE UNIQUE INDEX users_webauthn_handle ON users (webauthn_handle);

-- One row per passkey. credential_id and public_key are what the
-- authenticator gave at registration; sign_count is the last signature
-- counter accepted (a lower one is refused: a cloned authenticator);
-- the backup flags say whether the passkey may be, and is, synced.
CREATE TABLE passkeys (
    id                 TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id      BLOB NOT NULL UNIQUE,
    public_key         BLOB NOT NULL,
    attestation_type   TEXT NOT NULL DEFAULT '',
    attestation_format TEXT NOT NULL DEFAULT '',
    transports         TEXT NOT NULL DEFAULT '',
    sign_count         INTEGER NOT NULL DEFAULT 0,
    aaguid             TEXT NOT NULL DEFAULT '',
    user_verified      INTEGER NOT NULL DEFAULT 0,
    backup_eligible    INTEGER NOT NULL DEFAULT 0,
    backup_state       INTEGER NOT NULL DEFAULT 0,
    name               TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    last_used_at       TEXT
);
CREATE INDEX passkeys_user ON passkeys (user_id, created_at);

-- +goose Down
DROP TABLE passkeys;
DROP INDEX users_webauthn_handle;
ALTER TABLE users DROP COLUMN webauthn_handle;
