-- +goose Up
-- A counter for what a signed-in request learns about its session besides
-- the user (revisions 'definitions' covers users and roles): whether the
-- session still exists, whether the user has a passkey, and the
-- organisation's settings (two-factor sign-in required). A process keeps
-- each session's user in memory while this counter and 'definitions' stand
-- still, so ending a session elsewhere (signing out everywhere, a password
-- change, a revoked session) takes effect at the next request of every
-- process. Sessions are only ever started, touched
-- (last seen) and ended: ending one counts.
INSERT INTO revisions (name, n) VALUES ('sessions', 1);

-- +goose StatementBegin
CREATE TRIGGER user_sessions_revision_delete AFTER DELETE ON user_sessions
BEGIN UPDATE revisions SET n = n + 1 WHERE name = 'sessions'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER passkeys_revision_insert AFTER INSERT ON passkeys
BEGIN UPDATE revisions SET n = n + 1 WHERE name = 'sessions'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER passkeys_revision_delete AFTER DELETE ON passkeys
BEGIN UPDATE revisions SET n = n + 1 WHERE name = 'sessions'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER settings_revision_insert AFTER INSERT ON settings
BEGIN UPDATE revisions SET n = n + 1 WHERE name = 'sessions'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER settings_revision_update AFTER UPDATE ON settings
BEGIN UPDATE revisions SET n = n + 1 WHERE name = 'sessions'; END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER settings_revision_delete AFTER DELETE ON settings
BEGIN UPDATE revisions SET n = n + 1 WHERE name = 'sessions'; END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER settings_revision_delete;
DROP TRIGGER settings_revision_update;
DROP TRIGGER settings_revision_insert;
DROP TRIGGER passkeys_revision_delete;
DROP TRIGGER passkeys_revision_insert;
DROP TRIGGER user_sessions_revision_delete;
DELETE FROM revisions WHERE name = 'sessions';
