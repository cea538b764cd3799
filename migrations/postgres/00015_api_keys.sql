-- +goose Up
-- API keys (internal/apikey). The secret is shown once and only its
-- SHA-256 is kept: the secret is 32 random bytes, so a fast hash cannot be
-- brute-forced and a slow one (argon2) would only cost time on every
-- request. prefix is the start of the secret, for people to recognise a key.
-- scopes is a JSON list such as ["contacts:read","contacts:write"].
CREATE TABLE api_keys (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id),
    name         text NOT NULL,
    prefix       text NOT NULL,
    secret_hash  text NOT NULL UNIQUE,
    scopes       text NOT NULL DEFAULT '[]',
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    revoked_by   uuid,
    created_at   timestamptz NOT NULL,
    created_by   uuid
);
CREATE INDEX api_keys_user ON api_keys (user_id, created_at);

-- Rate-limit buckets (internal/ratelimit), GCRA: tat is the theoretical
-- arrival time in microseconds since 1970; allowed says whether the last
-- request that touched the bucket was let through. One upsert per request,
-- so the limit holds across every process sharing the database.
CREATE TABLE rate_limits (
    key     text PRIMARY KEY,
    tat     bigint NOT NULL,
    allowed integer NOT NULL
);

-- Idempotency keys (internal/api): the first response to a POST with an
-- Idempotency-Key, replayed to retries for 24 hours. status 0 = in flight.
CREATE TABLE idempotency_keys (
    scope        text NOT NULL,
    key          text NOT NULL,
    request      text NOT NULL,
    body_hash    text NOT NULL,
    status       integer NOT NULL DEFAULT 0,
    headers      text NOT NULL DEFAULT '{}',
    body         bytea,
    created_at   timestamptz NOT NULL,
    locked_until timestamptz,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE rate_limits;
DROP TABLE api_keys;
