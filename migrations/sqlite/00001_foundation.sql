-- +goose Up
CREATE TABLE roles (
    name        TEXT PRIMARY KEY,
    label       TEXT NOT NULL,
    rank        INTEGER NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT ''
);
INSERT INTO roles (name, label, rank, description) VALUES
    ('owner',   'Owner',   50, 'Everything, including billing-level settings and other owners.'),
    ('admin',   'Admin',   40, 'Everything except managing owners.'),
    ('manager', 'Manager', 30, 'All records of their teams; reports.'),
    ('member',  'Member',  20, 'Their own records and shared ones.'),
    ('viewer',  'Viewer',  10, 'Read only.');

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL REFERENCES roles (name),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    created_by    TEXT REFERENCES users (id),
    updated_by    TEXT REFERENCES users (id),
    disabled_at   TEXT
);

CREATE TABLE sessions (
    token  TEXT PRIMARY KEY,
    data   BLOB NOT NULL,
    expiry TEXT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry);

CREATE TABLE throttles (
    key         TEXT PRIMARY KEY,
    failures    INTEGER NOT NULL,
    window_ends TEXT NOT NULL
);

CREATE TABLE events (
    id           TEXT PRIMARY KEY,
    occurred_at  TEXT NOT NULL,
    kind         TEXT NOT NULL,
    actor_id     TEXT,
    subject_type TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    data         TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_subject ON events (subject_type, subject_id, id);
CREATE INDEX events_kind ON events (kind, id);

