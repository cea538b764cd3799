-- +goose Up
-- Webhooks (internal/webhook). A subscription receives the events whose
-- kind matches one of its event_types (JSON array of exact kinds,
-- "domain.*" or "*"). The dispatcher reads events after its cursor and
-- writes one delivery per matching subscription, unique on
-- (subscription_id, event_id, resend) so a rerun adds nothing; a resend
-- is a new delivery with the next resend number. A delivery's id is the
-- webhook-id header. Each try is a row in webhook_attempts. contact_id is
-- the person the event is about (for a data export or erasure).
CREATE TABLE webhook_subscriptions (
    id              TEXT PRIMARY KEY,
    url             TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    event_types     TEXT NOT NULL DEFAULT '[]',
    secret          TEXT NOT NULL,
    enabled         INTEGER NOT NULL DEFAULT 1,
    disabled_reason TEXT NOT NULL DEFAULT '',
    failing_since   TEXT,
    created_by      TEXT REFERENCES users (id),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id        TEXT NOT NULL,
    resend          INTEGER NOT NULL DEFAULT 0,
    event_kind      TEXT NOT NULL,
    contact_id      TEXT,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_status     INTEGER,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    delivered_at    TEXT,
    UNIQUE (subscription_id, event_id, resend)
);
CREATE INDEX webhook_deliveries_sub ON webhook_deliveries (subscription_id, id);
CREATE INDEX webhook_deliveries_contact ON webhook_deliveries (contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX webhook_deliveries_failed ON webhook_deliveries (subscription_id, id) WHERE status IN ('failed', 'dead');

CREATE TABLE webhook_attempts (
    id          TEXT PRIMARY KEY,
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    at          TEXT NOT NULL,
    status_code INTEGER,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    response    TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT '',
    UNIQUE (delivery_id, attempt)
);

-- The dispatcher's position in the events table: the id of the last event
-- it has turned into deliveries.
CREATE TABLE webhook_cursor (
    name     TEXT PRIMARY KEY,
    event_id TEXT NOT NULL
);
INSERT INTO webhook_cursor (name, event_id) VALUES ('dispatch', '');

-- +goose Down
DROP TABLE webhook_cursor;
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_subscriptions;
