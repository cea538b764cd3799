-- +goose Up
-- Roles carry a visibility scope and, for custom roles, per-object
-- permissions. The five built-in roles keep their rules in code.
ALTER TABLE roles ADD COLUMN scope TEXT NOT NULL DEFAULT 'all';
ALTER TABLE roles ADD COLUMN permissions TEXT NOT NULL DEFAULT '{}';
ALTER TABLE roles ADD COLUMN builtin INTEGER NOT NULL DEFAULT 0;
ALTER TABLE roles ADD COLUMN created_at TEXT;
UPDATE roles SET builtin = 1,
    scope = CASE name WHEN 'manager' THEN 'team' WHEN 'member' THEN 'own' ELSE 'all' END,
    description = CASE name
        WHEN 'manager' THEN 'Works with their teams'' records and unowned ones; exports.'
        WHEN 'member'  THEN 'Works with their own records and unowned ones.'
        WHEN 'viewer'  THEN 'Reads every record; changes nothing.'
        ELSE description END;

CREATE TABLE teams (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    created_by TEXT REFERENCES users (id)
);
CREATE UNIQUE INDEX teams_name ON teams (lower(name));

CREATE TABLE team_members (
    team_id TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id, team_id);

-- The audit log is append-only: no code path updates or deletes a row and
-- the triggers refuse it. Details about a person are sealed with that
-- person's key in audit_keys; erasing the person deletes the key.
CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    occurred_at TEXT NOT NULL,
    actor_id    TEXT,
    actor_name  TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    outcome     TEXT NOT NULL DEFAULT 'ok',
    object_type TEXT NOT NULL DEFAULT '',
    object_id   TEXT NOT NULL DEFAULT '',
    address     TEXT NOT NULL DEFAULT '',
    user_agent  TEXT NOT NULL DEFAULT '',
    key_id      TEXT,
    details     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, id);

CREATE TABLE audit_keys (
    subject_id TEXT PRIMARY KEY,
    secret     BLOB NOT NULL,
    created_at TEXT NOT NULL
);

-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
-- +goose StatementEnd
