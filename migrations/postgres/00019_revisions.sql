-- +goose Up
-- A counter per kind of definition that list pages cache in memory (the
-- custom fields and the users behind each list's filter schema; the tag
-- names and saved views a list page offers). Triggers
-- bump it on every change, whichever code or tool makes it, so every
-- process behind the load balancer knows with one primary-key read whether
-- its copy is still current. Statement triggers: a bulk change bumps once.
CREATE TABLE revisions (
    name text PRIMARY KEY,
    n    bigint NOT NULL
);
INSERT INTO revisions (name, n) VALUES ('definitions', 1), ('tags', 1), ('views', 1);

-- +goose StatementBegin
CREATE FUNCTION bump_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE revisions SET n = n + 1 WHERE name = TG_ARGV[0];
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER custom_fields_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON custom_fields
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('definitions');
CREATE TRIGGER users_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('definitions');
CREATE TRIGGER tags_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tags
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('tags');
CREATE TRIGGER saved_views_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON saved_views
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('views');

-- +goose Down
DROP TRIGGER saved_views_revision ON saved_views;
DROP TRIGGER tags_revision ON tags;
DROP TRIGGER users_revision ON users;
DROP TRIGGER custom_fields_revision ON custom_fields;
DROP FUNCTION bump_revision();
DROP TABLE revisions;
