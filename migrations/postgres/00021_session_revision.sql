-- +goose Up
-- A counter for what a signed-in request learns about its session besides
-- the user (revisions 'definitions' covers users and roles): whether the
-- session still exists, whether the user has a passkey, and the
-- organisation's settings (two-factor sign-in required). Every process
-- keeps each session's user in memory while this counter and 'definitions'
-- stand still, so ending a session on one process (signing out everywhere,
-- a password change, a revoked session) takes effect at the next request
-- on all of them. Sessions are only ever started, touched
-- (last seen) and ended: ending one counts.
INSERT INTO revisions (name, n) VALUES ('sessions', 1);

CREATE TRIGGER user_sessions_revision_delete AFTER DELETE ON user_sessions REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('sessions');
CREATE TRIGGER user_sessions_revision_truncate AFTER TRUNCATE ON user_sessions
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('sessions');
CREATE TRIGGER passkeys_revision_insert AFTER INSERT ON passkeys REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('sessions');
CREATE TRIGGER passkeys_revision_delete AFTER DELETE ON passkeys REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('sessions');
CREATE TRIGGER passkeys_revision_truncate AFTER TRUNCATE ON passkeys
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('sessions');
CREATE TRIGGER settings_revision_insert AFTER INSERT ON settings REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('sessions');
CREATE TRIGGER settings_revision_update AFTER UPDATE ON settings REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('sessions');
CREATE TRIGGER settings_revision_delete AFTER DELETE ON settings REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('sessions');
CREATE TRIGGER settings_revision_truncate AFTER TRUNCATE ON settings
    FOR EACH STATEMENT EXECUTE FUNCTION bump_revision('sessions');

-- +goose Down
DROP TRIGGER settings_revision_truncate ON settings;
DROP TRIGGER settings_revision_delete ON settings;
DROP TRIGGER settings_revision_update ON settings;
DROP TRIGGER settings_revision_insert ON settings;
DROP TRIGGER passkeys_revision_truncate ON passkeys;
DROP TRIGGER passkeys_revision_delete ON passkeys;
DROP TRIGGER passkeys_revision_insert ON passkeys;
DROP TRIGGER user_sessions_revision_truncate ON user_sessions;
DROP TRIGGER user_sessions_revision_delete ON user_sessions;
DELETE FROM revisions WHERE name = 'sessions';
