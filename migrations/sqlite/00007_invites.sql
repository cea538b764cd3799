-- +goose Up
-- Invitations. The emailed link carries a random token; only its SHA-256
-- (hex) is kept, so the table alone cannot be used to sign up.
CREATE TABLE invites (
    id               TEXT PRIMARY KEY,
    email            TEXT NOT NULL,
    role             TEXT NOT NULL,
    token_hash       TEXT NOT NULL UNIQUE,
    created_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    created_by       TEXT REFERENCES users (id),
    mail_id          TEXT,
    accepted_at      TEXT,
    accepted_user_id TEXT REFERENCES users (id),
    revoked_at       TEXT,
    revoked_by       TEXT REFERENCES users (id)
);
-- One open invitation per address: a new one replaces the old.
CREATE UNIQUE INDEX invites_open_email ON invites (email) WHERE accepted_at IS NULL AND revoked_at IS NULL;

-- The teams the invited person joins on accepting.
CREATE TABLE invite_teams (
    invite_id TEXT NOT NULL REFERENCES invites (id) ON DELETE CASCADE,
    team_id   TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    PRIMARY KEY (invite_id, team_id)
);
CREATE INDEX invite_teams_team ON invite_teams (team_id);

-- Outgoing mail. Without a mail server (--smtp) messages stay here with
-- status 'kept'; with one, a job sends each and records the result.
-- redacted_* hold the bodies without their secrets (sign-in links); they
-- replace the bodies once the message is sent or its link is dead.
CREATE TABLE mail_outbox (
    id            TEXT PRIMARY KEY,
    created_at    TEXT NOT NULL,
    created_by    TEXT REFERENCES users (id),
    kind          TEXT NOT NULL DEFAULT '',
    to_addr       TEXT NOT NULL,
    to_name       TEXT NOT NULL DEFAULT '',
    subject       TEXT NOT NULL,
    text_body     TEXT NOT NULL,
    html_body     TEXT NOT NULL DEFAULT '',
    redacted_text TEXT,
    redacted_html TEXT,
    status        TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT '',
    message_id    TEXT NOT NULL DEFAULT '',
    sent_at       TEXT,
    updated_at    TEXT NOT NULL
);
CREATE INDEX mail_outbox_status ON mail_outbox (status, id);
