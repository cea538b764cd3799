-- +goose Up
-- A counter per kind of definition that pages keep in memory: the custom
-- fields, users and roles behind each list's filter schema and the user
-- list; the tag names and saved views a list page offers. Triggers bump it
-- in the changing transaction, whichever code or tool makes the change, so
-- every process behind the load balancer knows with one primary-key read
-- whether its copy is current. Statement triggers with transition tables:
-- a bulk change bumps once, and a statement that changes no row (INSERT ...
-- ON CONFLICT DO NOTHING for a tag that exists, an UPDATE that matches
-- nothing) neither bumps nor locks the counter.
CREATE TABLE revisions (
    name text PRIMARY KEY,
    n    bigint NOT NULL
);
INSERT INTO revisions (name, n) VALUES ('definitions', 1), ('tags', 1), ('views', 1);

-- +goose StatementBegin
CREATE FUNCTION bump_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Each branch names only the transition table its trigger declares.
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE revisions SET n = n + 1 WHERE name = TG_ARGV[0];
    ELSIF TG_OP = 'DELETE' THEN
        IF EXISTS (SELECT 1 FROM old_rows) THEN
            UPDATE revisions SET n = n + 1 WHERE name = TG_ARGV[0];
        END IF;
    ELSIF EXISTS (SELECT 1 FROM new_rows) THEN
        UPDATE revisions SET n = n + 1 WHERE name = TG_ARGV[0];
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER custom_fields_revision_insert AFTER INSERT ON custom_fields REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('definitions');
CREATE TRIGGER custom_fields_revision_update AFTER UPDATE ON custom_fields REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('definitions');
CREATE TRIGGER custom_fields_revision_delete AFTER DELETE ON custom_fields REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('definitions');
CREATE TRIGGER custom_fields_revision_truncate AFTER TRUNCATE ON custom_fields
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('definitions');
CREATE TRIGGER users_revision_insert AFTER INSERT ON users REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('definitions');
CREATE TRIGGER users_revision_update AFTER UPDATE ON users REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('definitions');
CREATE TRIGGER users_revision_delete AFTER DELETE ON users REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('definitions');
CREATE TRIGGER users_revision_truncate AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('definitions');
CREATE TRIGGER roles_revision_insert AFTER INSERT ON roles REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('definitions');
CREATE TRIGGER roles_revision_update AFTER UPDATE ON roles REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('definitions');
CREATE TRIGGER roles_revision_delete AFTER DELETE ON roles REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('definitions');
CREATE TRIGGER roles_revision_truncate AFTER TRUNCATE ON roles
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('definitions');
CREATE TRIGGER tags_revision_insert AFTER INSERT ON tags REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('tags');
CREATE TRIGGER tags_revision_update AFTER UPDATE ON tags REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('tags');
CREATE TRIGGER tags_revision_delete AFTER DELETE ON tags REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('tags');
CREATE TRIGGER tags_revision_truncate AFTER TRUNCATE ON tags
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('tags');
CREATE TRIGGER saved_views_revision_insert AFTER INSERT ON saved_views REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('views');
CREATE TRIGGER saved_views_revision_update AFTER UPDATE ON saved_views REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('views');
CREATE TRIGGER saved_views_revision_delete AFTER DELETE ON saved_views REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('views');
CREATE TRIGGER saved_views_revision_truncate AFTER TRUNCATE ON saved_views
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('views');

-- +goose Down
DROP TRIGGER saved_views_revision_truncate ON saved_views;
DROP TRIGGER saved_views_revision_delete ON saved_views;
DROP TRIGGER saved_views_revision_update ON saved_views;
DROP TRIGGER saved_views_revision_insert ON saved_views;
DROP TRIGGER tags_revision_truncate ON tags;
DROP TRIGGER tags_revision_delete ON tags;
DROP TRIGGER tags_revision_update ON tags;
DROP TRIGGER tags_revision_insert ON tags;
DROP TRIGGER roles_revision_truncate ON roles;
DROP TRIGGER roles_revision_delete ON roles;
DROP TRIGGER roles_revision_update ON roles;
DROP TRIGGER roles_revision_insert ON roles;
DROP TRIGGER users_revision_truncate ON users;
DROP TRIGGER users_revision_delete ON users;
DROP TRIGGER users_revision_update ON users;
DROP TRIGGER users_revision_insert ON users;
DROP TRIGGER custom_fields_revision_truncate ON custom_fields;
DROP TRIGGER custom_fields_revision_delete ON custom_fields;
DROP TRIGGER custom_fields_revision_update ON custom_fields;
DROP TRIGGER custom_fields_revision_insert ON custom_fields;
DROP FUNCTION bump_revision();
DROP TABLE revisions;
