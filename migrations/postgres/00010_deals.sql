-- +goose Up
-- Sales pipelines and deals (internal/deal). Money is an integer of minor
-- units beside its ISO 4217 code. version is the optimistic lock a kanban
-- move checks, so a card moved by someone else meanwhile is not overwritten.
CREATE TABLE pipelines (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    position   integer NOT NULL DEFAULT 0,
    currency   text NOT NULL DEFAULT 'EUR',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    created_by uuid,
    deleted_at timestamptz
);

CREATE TABLE pipeline_stages (
    id          uuid PRIMARY KEY,
    pipeline_id uuid NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    name        text NOT NULL,
    position    integer NOT NULL,
    probability integer NOT NULL DEFAULT 0 CHECK (probability BETWEEN 0 AND 100),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    deleted_at  timestamptz
);
CREATE INDEX pipeline_stages_pipeline ON pipeline_stages (pipeline_id, position);

CREATE TABLE deals (
    id               uuid PRIMARY KEY,
    name             text NOT NULL,
    pipeline_id      uuid NOT NULL REFERENCES pipelines (id),
    stage_id         uuid NOT NULL REFERENCES pipeline_stages (id),
    amount           bigint NOT NULL DEFAULT 0,
    currency         text NOT NULL,
    close_date       date,
    status           text NOT NULL DEFAULT 'open',
    lost_reason      text NOT NULL DEFAULT '',
    closed_at        timestamptz,
    stage_entered_at timestamptz NOT NULL,
    rank             text COLLATE "C" NOT NULL DEFAULT '',
    owner_id         uuid REFERENCES users (id),
    company_id       uuid REFERENCES companies (id),
    custom           jsonb NOT NULL DEFAULT '{}',
    version          integer NOT NULL DEFAULT 1,
    -- moved_version is the version at which stage or rank last changed, so a
    -- stale kanban move is refused only when someone else moved the card.
    moved_version    integer NOT NULL DEFAULT 1,
    moved_at         timestamptz,
    moved_by         uuid,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    created_by       uuid,
    updated_by       uuid,
    deleted_at       timestamptz
);
CREATE INDEX deals_board ON deals (stage_id, status, rank, id) WHERE deleted_at IS NULL;
-- Covers the board's column totals: read in (stage, currency) order, no table lookups.
CREATE INDEX deals_totals ON deals (pipeline_id, status, stage_id, currency, amount) WHERE deleted_at IS NULL;
CREATE INDEX deals_close ON deals (pipeline_id, close_date) WHERE deleted_at IS NULL;
CREATE INDEX deals_owner ON deals (owner_id, id);
CREATE INDEX deals_company ON deals (company_id, id);
CREATE INDEX deals_updated ON deals (updated_at, id);

CREATE TABLE deal_contacts (
    deal_id    uuid NOT NULL REFERENCES deals (id) ON DELETE CASCADE,
    contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    position   integer NOT NULL,
    PRIMARY KEY (deal_id, contact_id)
);
CREATE INDEX deal_contacts_contact ON deal_contacts (contact_id, deal_id);

-- One row per stay of a deal in a stage: left_at is NULL while it is there.
CREATE TABLE deal_stage_history (
    id          uuid PRIMARY KEY,
    deal_id     uuid NOT NULL REFERENCES deals (id) ON DELETE CASCADE,
    pipeline_id uuid NOT NULL,
    stage_id    uuid NOT NULL,
    entered_at  timestamptz NOT NULL,
    left_at     timestamptz,
    entered_by  uuid
);
CREATE INDEX deal_stage_history_deal ON deal_stage_history (deal_id, entered_at);
CREATE INDEX deal_stage_history_stage ON deal_stage_history (pipeline_id, stage_id, entered_at);

ALTER TABLE events ADD COLUMN deal_id uuid;
CREATE INDEX events_deal ON events (deal_id, occurred_at, id) WHERE deal_id IS NOT NULL;

-- A fresh install starts with one pipeline, so the board is never empty of
-- columns. Fixed ids: the same on every install, never reused.
INSERT INTO pipelines (id, name, position, currency, created_at, updated_at)
VALUES ('00000000-0000-7000-8000-00000000d000', 'Sales', 0, 'EUR', now(), now());
INSERT INTO pipeline_stages (id, pipeline_id, name, position, probability, created_at, updated_at) VALUES
    ('00000000-0000-7000-8000-00000000d001', '00000000-0000-7000-8000-00000000d000', 'Lead', 0, 10, now(), now()),
    ('00000000-0000-7000-8000-00000000d002', '00000000-0000-7000-8000-00000000d000', 'Qualified', 1, 25, now(), now()),
    ('00000000-0000-7000-8000-00000000d003', '00000000-0000-7000-8000-00000000d000', 'Proposal', 2, 50, now(), now()),
    ('00000000-0000-7000-8000-00000000d004', '00000000-0000-7000-8000-00000000d000', 'Negotiation', 3, 75, now(), now());

-- +goose Down
DROP INDEX events_deal;
ALTER TABLE events DROP COLUMN deal_id;
DROP TABLE deal_stage_history;
DROP TABLE deal_contacts;
DROP TABLE deals;
DROP TABLE pipeline_stages;
DROP TABLE pipelines;
