-- +goose Up
CREATE TABLE roles (
    name        text PRIMARY KEY,
    label       text NOT NULL,
    rank        integer NOT NULL UNIQUE,
    description text NOT NULL DEFAULT ''
);
INSERT INTO roles (name, label, rank, description) VALUES
    ('owner',   'Owner',   50, 'Everything, including billing-level settings and other owners.'),
    ('admin',   'Admin',   40, 'Everything except managing owners.'),
    ('manager', 'Manager', 30, 'All records of their teams; reports.'),
    ('member',  'Member',  20, 'Their own records and shared ones.'),
    ('viewer',  'Viewer',  10, 'Read only.');

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL UNIQUE,
    name          text NOT NULL,
    password_hash text NOT NULL,
    role          text NOT NULL REFERENCES roles (name),
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    created_by    uuid REFERENCES users (id),
    updated_by    uuid REFERENCES users (id),
    disabled_at   timestamptz
);

CREATE TABLE sessions (
    token  text PRIMARY KEY,
    data   bytea NOT NULL,
    expiry timestamptz NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry);

CREATE TABLE throttles (
    key         text PRIMARY KEY,
    failures    integer NOT NULL,
    window_ends timestamptz NOT NULL
);

CREATE TABLE events (
    id           uuid PRIMARY KEY,
    occurred_at  timestamptz NOT NULL,
    kind         text NOT NULL,
    actor_id     uuid,
    subject_type text NOT NULL,
    subject_id   uuid NOT NULL,
    data         jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX events_subject ON events (subject_type, subject_id, id);
CREATE INDEX events_kind ON events (kind, id);

