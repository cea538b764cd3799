-- +goose Up
-- Passkeys (WebAuthn). webauthn_handle is the user handle authenticators
-- keep with each of the user's passkeys: random, stable for the user, made
-- when the first passkey is added, and never shown.
ALTER TABLE users ADD COLUMN webauthn_handle bytea;
CREATE UNIQUE INDEX users_webauthn_handle ON users (webauthn_handle);

-- One row per passkey. credential_id and public_key are what the
-- authenticator gave at registration; sign_count is the last signature
-- counter accepted (a lower one is refused: a cloned authenticator);
-- the backup flags say whether the passkey may be, and is, synced.
CREATE TABLE passkeys (
    id                 uuid PRIMARY KEY,
    user_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id      bytea NOT NULL UNIQUE,
    public_key         bytea NOT NULL,
    attestation_type   text NOT NULL DEFAULT '',
    attestation_format text NOT NULL DEFAULT '',
    transports         text NOT NULL DEFAULT '',
    sign_count         bigint NOT NULL DEFAULT 0,
    aaguid             text NOT NULL DEFAULT '',
    user_verified      boolean NOT NULL DEFAULT false,
    backup_eligible    boolean NOT NULL DEFAULT false,
    backup_state       boolean NOT NULL DEFAULT false,
    name               text NOT NULL,
    created_at         timestamptz NOT NULL,
    last_used_at       timestamptz
);
CREATE INDEX passkeys_user ON passkeys (user_id, created_at);

-- +goose Down
DROP TABLE passkeys;
DROP INDEX users_webauthn_handle;
ALTER TABLE users DROP COLUMN webauthn_handle;
