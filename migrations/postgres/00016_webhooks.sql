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
    id              uuid PRIMARY KEY,
    url             text NOT NULL,
    description     text NOT NULL DEFAULT '',
    event_types     text NOT NULL DEFAULT '[]',
    secret          text NOT NULL,
    enabled         boolean NOT NULL DEFAULT true,
    disabled_reason text NOT NULL DEFAULT '',
    failing_since   timestamptz,
    created_by      uuid REFERENCES users (id),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              uuid PRIMARY KEY,
    subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id        uuid NOT NULL,
    resend          integer NOT NULL DEFAULT 0,
    event_kind      text NOT NULL,
    contact_id      uuid,
    payload         text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    last_status     integer,
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    delivered_at    timestamptz,
    UNIQUE (subscription_id, event_id, resend)
);
CREATE INDEX webhook_deliveries_sub ON webhook_deliveries (subscription_id, id);
CREATE INDEX webhook_deliveries_contact ON webhook_deliveries (contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX webhook_deliveries_failed ON webhook_deliveries (subscription_id, id) WHERE status IN ('failed', 'dead');

CREATE TABLE webhook_attempts (
    id          uuid PRIMARY KEY,
    delivery_id uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt     integer NOT NULL,
    at          timestamptz NOT NULL,
    status_code integer,
    duration_ms integer NOT NULL DEFAULT 0,
    response    text NOT NULL DEFAULT '',
    error       text NOT NULL DEFAULT '',
    UNIQUE (delivery_id, attempt)
);

-- The dispatcher's position in the events table: the id of the last event
-- it has turned into deliveries ('' before the first).
CREATE TABLE webhook_cursor (
    name     text PRIMARY KEY,
    event_id text NOT NULL
);
INSERT INTO webhook_cursor (name, event_id) VALUES ('dispatch', '');

-- +goose Down
DROP TABLE webhook_cursor;
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_subscriptions;
