-- +goose Up
-- Invitations. The emailed link carries a random token; only its SHA-256
-- (hex) is kept, so the table alone cannot be used to sign up.
CREATE TABLE invites (
    id               uuid PRIMARY KEY,
    email            text NOT NULL,
    role             text NOT NULL,
    token_hash       text NOT NULL UNIQUE,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    created_by       uuid REFERENCES users (id),
    mail_id          uuid,
    accepted_at      timestamptz,
    accepted_user_id uuid REFERENCES users (id),
    revoked_at       timestamptz,
    revoked_by       uuid REFERENCES users (id)
);
-- One open invitation per address: a new one replaces the old.
CREATE UNIQUE INDEX invites_open_email ON invites (email) WHERE accepted_at IS NULL AND revoked_at IS NULL;

-- The teams the invited person joins on accepting.
CREATE TABLE invite_teams (
    invite_id uuid NOT NULL REFERENCES invites (id) ON DELETE CASCADE,
    team_id   uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    PRIMARY KEY (invite_id, team_id)
);
CREATE INDEX invite_teams_team ON invite_teams (team_id);

-- Outgoing mail. Without a mail server (--smtp) messages stay here with
-- status 'kept'; with one, a job sends each and records the result.
-- redacted_* hold the bodies without their secrets (sign-in links); they
-- replace the bodies once the message is sent or its link is dead.
CREATE TABLE mail_outbox (
    id            uuid PRIMARY KEY,
    created_at    timestamptz NOT NULL,
    created_by    uuid REFERENCES users (id),
    kind          text NOT NULL DEFAULT '',
    to_addr       text NOT NULL,
    to_name       text NOT NULL DEFAULT '',
    subject       text NOT NULL,
    text_body     text NOT NULL,
    html_body     text NOT NULL DEFAULT '',
    redacted_text text,
    redacted_html text,
    status        text NOT NULL,
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text NOT NULL DEFAULT '',
    message_id    text NOT NULL DEFAULT '',
    sent_at       timestamptz,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX mail_outbox_status ON mail_outbox (status, id);
