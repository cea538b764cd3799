-- +goose Up
-- Consent per channel, kept as history: every grant or withdrawal is a row;
-- the newest row of a channel (by when it was given, then by id) is the
-- contact's current state. Erasing the person deletes the rows.
CREATE TABLE consent_changes (
    id          TEXT PRIMARY KEY,
    contact_id  TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    channel     TEXT NOT NULL,
    granted     INTEGER NOT NULL,
    source      TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    occurred_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT REFERENCES users (id)
);
CREATE INDEX consent_changes_contact ON consent_changes (contact_id, channel, occurred_at, id);

-- +goose Down
DROP TABLE consent_changes;
