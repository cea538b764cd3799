-- +goose Up
-- Sales pipelines and deals (internal/deal). Money is an integer of minor
-- units beside its ISO 4217 code. version is the optimistic lock a kanban
-- move checks, so a card moved by someone else meanwhile is not overwritten.
CREATE TABLE pipelines (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    position   INTEGER NOT NULL DEFAULT 0,
    currency   TEXT NOT NULL DEFAULT 'EUR',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    created_by TEXT,
    deleted_at TEXT
);

CREATE TABLE pipeline_stages (
    id          TEXT PRIMARY KEY,
    pipeline_id TEXT NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    probability INTEGER NOT NULL DEFAULT 0 CHECK (probability BETWEEN 0 AND 100),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT
);
CREATE INDEX pipeline_stages_pipeline ON pipeline_stages (pipeline_id, position);

CREATE TABLE deals (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    pipeline_id      TEXT NOT NULL REFERENCES pipelines (id),
    stage_id         TEXT NOT NULL REFERENCES pipeline_stages (id),
    amount           INTEGER NOT NULL DEFAULT 0,
    currency         TEXT NOT NULL,
    close_date       TEXT,
    status           TEXT NOT NULL DEFAULT 'open',
    lost_reason      TEXT NOT NULL DEFAULT '',
    closed_at        TEXT,
    stage_entered_at TEXT NOT NULL,
    rank             TEXT NOT NULL DEFAULT '',
    owner_id         TEXT REFERENCES users (id),
    company_id       TEXT REFERENCES companies (id),
    custom           TEXT NOT NULL DEFAULT '{}',
    version          INTEGER NOT NULL DEFAULT 1,
    -- moved_version is the version at which stage or rank last changed, so a
    -- stale kanban move is refused only when someone else moved the card.
    moved_version    INTEGER NOT NULL DEFAULT 1,
    moved_at         TEXT,
    moved_by         TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    created_by       TEXT,
    updated_by       TEXT,
    deleted_at       TEXT
);
CREATE INDEX deals_board ON deals (stage_id, status, rank, id) WHERE deleted_at IS NULL;
-- Covers the board's column totals: read in (stage, currency) order, no table lookups.
CREATE INDEX deals_totals ON deals (pipeline_id, status, stage_id, currency, amount) WHERE deleted_at IS NULL;
CREATE INDEX deals_close ON deals (pipeline_id, close_date) WHERE deleted_at IS NULL;
CREATE INDEX deals_owner ON deals (owner_id, id);
CREATE INDEX deals_company ON deals (company_id, id);
CREATE INDEX deals_updated ON deals (updated_at, id);

CREATE TABLE deal_contacts (
    deal_id    TEXT NOT NULL REFERENCES deals (id) ON DELETE CASCADE,
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    PRIMARY KEY (deal_id, contact_id)
);
CREATE INDEX deal_contacts_contact ON deal_contacts (contact_id, deal_id);

-- One row per stay of a deal in a stage: left_at is NULL while it is there.
CREATE TABLE deal_stage_history (
    id          TEXT PRIMARY KEY,
    deal_id     TEXT NOT NULL REFERENCES deals (id) ON DELETE CASCADE,
    pipeline_id TEXT NOT NULL,
    stage_id    TEXT NOT NULL,
    entered_at  TEXT NOT NULL,
    left_at     TEXT,
    entered_by  TEXT
);
CREATE INDEX deal_stage_history_deal ON deal_stage_history (deal_id, entered_at);
CREATE INDEX deal_stage_history_stage ON deal_stage_history (pipeline_id, stage_id, entered_at);

ALTER TABLE events ADD COLUMN deal_id TEXT;
CREATE INDEX events_deal ON events (deal_id, occurred_at, id) WHERE deal_id IS NOT NULL;

-- A fresh install starts with one pipeline, so the board is never empty of
-- columns. Fixed ids: the same on every install, never reused.
INSERT INTO pipelines (id, name, position, currency, created_at, updated_at)
VALUES ('00000000-0000-7000-8000-00000000d000', 'Sales', 0, 'EUR', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');
INSERT INTO pipeline_stages (id, pipeline_id, name, position, probability, created_at, updated_at) VALUES
    ('00000000-0000-7000-8000-00000000d001', '00000000-0000-7000-8000-00000000d000', 'Lead', 0, 10, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
    ('00000000-0000-7000-8000-00000000d002', '00000000-0000-7000-8000-00000000d000', 'Qualified', 1, 25, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
    ('00000000-0000-7000-8000-00000000d003', '00000000-0000-7000-8000-00000000d000', 'Proposal', 2, 50, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z'),
    ('00000000-0000-7000-8000-00000000d004', '00000000-0000-7000-8000-00000000d000', 'Negotiation', 3, 75, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z');

-- +goose Down
DROP INDEX events_deal;
ALTER TABLE events DROP COLUMN deal_id;
DROP TABLE deal_stage_history;
DROP TABLE deal_contacts;
DROP TABLE deals;
DROP TABLE pipeline_stages;
DROP TABLE pipelines;
