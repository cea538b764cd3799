-- +goose Up
-- Roles carry a visibility scope and, for custom roles, per-object
-- permissions. The five built-in roles keep their rules in code.
ALTER TABLE roles ADD COLUMN scope text NOT NULL DEFAULT 'all';
ALTER TABLE roles ADD COLUMN permissions jsonb NOT NULL DEFAULT '{}';
ALTER TABLE roles ADD COLUMN builtin boolean NOT NULL DEFAULT false;
ALTER TABLE roles ADD COLUMN created_at timestamptz;
UPDATE roles SET builtin = true,
    scope = CASE name WHEN 'manager' THEN 'team' WHEN 'member' THEN 'own' ELSE 'all' END,
    description = CASE name
        WHEN 'manager' THEN 'Works with their teams'' records and unowned ones; exports.'
        WHEN 'member'  THEN 'Works with their own records and unowned ones.'
        WHEN 'viewer'  THEN 'Reads every record; changes nothing.'
        ELSE description END;

CREATE TABLE teams (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    created_by uuid REFERENCES users (id)
);
CREATE UNIQUE INDEX teams_name ON teams (lower(name));

CREATE TABLE team_members (
    team_id uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id, team_id);

-- The audit log is append-only: no code path updates or deletes a row and
-- the triggers refuse it. Details about a person are sealed with that
-- person's key in audit_keys; erasing the person deletes the key.
CREATE TABLE audit_log (
    id          uuid PRIMARY KEY,
    occurred_at timestamptz NOT NULL,
    actor_id    uuid,
    actor_name  text NOT NULL DEFAULT '',
    action      text NOT NULL,
    outcome     text NOT NULL DEFAULT 'ok',
    object_type text NOT NULL DEFAULT '',
    object_id   text NOT NULL DEFAULT '',
    address     text NOT NULL DEFAULT '',
    user_agent  text NOT NULL DEFAULT '',
    key_id      text,
    details     text NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, id);

CREATE TABLE audit_keys (
    subject_id text PRIMARY KEY,
    secret     bytea NOT NULL,
    created_at timestamptz NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
