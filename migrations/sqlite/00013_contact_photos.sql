-- +goose Up
-- A contact's picture (from a vCard import or uploaded on the contact's
-- page). It lives in the database, not a folder, so that every process
-- behind a load balancer serves it and backups hold it; a picture is at
-- most 2 MB, most are a few kilobytes.
CREATE TABLE contact_photos (
    contact_id TEXT PRIMARY KEY REFERENCES contacts (id) ON DELETE CASCADE,
    media_type TEXT NOT NULL,
    data       BLOB NOT NULL,
    updated_at TEXT NOT NULL
);

-- +goose Down
DROP TABLE contact_photos;
