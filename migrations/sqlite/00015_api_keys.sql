-- +goose Up
-- API keys (internal/apikey). The secret is shown once and only its
-- SHA-256 is kept: the secret is 32 random bytes, so a fast hash cannot be
-- brute-forced and a slow one (argon2) would only cost time on every
-- request. prefix is the start of the secret, for people to recognise a key.
-- scopes is a JSON list such as ["contacts:read","contacts:write"].
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    scopes       TEXT NOT NULL DEFAULT '[]',
    expires_at   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT,
    revoked_by   TEXT,
    created_at   TEXT NOT NULL,
    created_by   TEXT
);
CREATE INDEX api_keys_user ON api_keys (user_id, created_at);

-- Rate-limit buckets (internal/ratelimit), GCRA: tat is the theoretical
-- arrival time in microseconds since 1970; allowed says whether the last
-- request that touched the bucket was let through. One upsert per request.
CREATE TABLE rate_limits (
    key     TEXT PRIMARY KEY,
    tat     INTEGER NOT NULL,
    allowed INTEGER NOT NULL
);

-- Idempotency keys (internal/api): the first response to a POST with an
-- Idempotency-Key, replayed to retries for 24 hours. status 0 = in flight.
CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request      TEXT NOT NULL,
    body_hash    TEXT NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    headers      TEXT NOT NULL DEFAULT '{}',
    body         BLOB,
    created_at   TEXT NOT NULL,
    locked_until TEXT,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE rate_limits;
DROP TABLE api_keys;
