-- +goose Up
-- A counter per kind of definition that pages keep in memory: the custom
-- fields, users and roles behind each list's filter schema and the user
-- list; the tag names and saved views a list page offers. Triggers bump it
-- in the changing transaction, whichever code or tool makes the change, so
-- a process knows with one primary-key read whether its copy is current.
-- Row triggers (SQLite has no others): they fire only for rows a statement
-- changes.
CREATE TABLE revisions (
    name TEXT PRIMARY KEY,
    n    INTEGER NOT NULL
);
INSERT INTO revisions (name, n) VALUES ('definitions', 1), ('tags', 1), ('views', 1);

-- +goose StatementBegin
CREATE TRIGGER custom_fields_revision_insert AFTER INSERT ON custom_fields
BEGIN UPDATE revisions SET n = n + 1 WHERE name = 'definitions'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER custom_fields_revision_update AFTER UPDATE ON custom_fields
BEGIN UPDATE revisions SET n = n + 1 WHERE name = 'definitions'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER custom_fields_revision_delete AFTER DELETE ON custom_fields
BEGIN UPDATE revisions SET n = n + 1 WHERE name = 'definitions'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_revision_insert AFTER INSERT ON users
BEGIN UPDATE revisions SET n = n + 1 WHERE name = 'definitions'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_revision_update AFTER UPDATE ON users
BEGIN UPDATE revisions SET n = n + 1 WHERE name = 'definitions'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER users_revision_delete AFTER DELETE ON users
BEGIN UPDATE revisions SET n = n + 1 WHERE name = 'definitions'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER roles_revision_insert AFTER INSERT ON roles
BEGIN UPDATE revisions SET n = n + 1 WHERE name = 'definitions'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER roles_revision_update AFTER UPDATE ON roles
BEGIN UPDATE revisions SET n = n + 1 WHERE name = 'definitions'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER roles_revision_delete AFTER DELETE ON roles
BEGIN UPDATE revisions SET n = n + 1 WHERE name = 'definitions'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tags_revision_insert AFTER INSERT ON tags
BEGIN UPDATE revisions SET n = n + 1 WHERE name = 'tags'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tags_revision_update AFTER UPDATE ON tags
BEGIN UPDATE revisions SET n = n + 1 WHERE name = 'tags'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tags_revision_delete AFTER DELETE ON tags
BEGIN UPDATE revisions SET n = n + 1 WHERE name = 'tags'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER saved_views_revision_insert AFTER INSERT ON saved_views
BEGIN UPDATE revisions SET n = n + 1 WHERE name = 'views'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER saved_views_revision_update AFTER UPDATE ON saved_views
BEGIN UPDATE revisions SET n = n + 1 WHERE name = 'views'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER saved_views_revision_delete AFTER DELETE ON saved_views
BEGIN UPDATE revisions SET n = n + 1 WHERE name = 'views'; END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER saved_views_revision_delete;
DROP TRIGGER saved_views_revision_update;
DROP TRIGGER saved_views_revision_insert;
DROP TRIGGER tags_revision_delete;
DROP TRIGGER tags_revision_update;
DROP TRIGGER tags_revision_insert;
DROP TRIGGER roles_revision_delete;
DROP TRIGGER roles_revision_update;
DROP TRIGGER roles_revision_insert;
DROP TRIGGER users_revision_delete;
DROP TRIGGER users_revision_update;
DROP TRIGGER users_revision_insert;
DROP TRIGGER custom_fields_revision_delete;
DROP TRIGGER custom_fields_revision_update;
DROP TRIGGER custom_fields_revision_insert;
DROP TABLE revisions;
