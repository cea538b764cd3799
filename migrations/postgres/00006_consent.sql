-- +goose Up
-- Consent per channel, kept as history: every grant or withdrawal is a row;
-- the newest row of a channel (by when it was given, then by id) is the
-- contact's current state. Erasing the person deletes the rows.
CREATE TABLE consent_changes (
    id          uuid PRIMARY KEY,
    contact_id  uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    channel     text NOT NULL,
    granted     boolean NOT NULL,
    source      text NOT NULL,
    detail      text NOT NULL DEFAULT '',
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL,
    recorded_by uuid REFERENCES users (id)
);
CREATE INDEX consent_changes_contact ON consent_changes (contact_id, channel, occurred_at, id);

-- +goose Down
DROP TABLE consent_changes;
