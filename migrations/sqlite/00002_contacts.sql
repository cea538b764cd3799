-- +goose Up
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE custom_fields (
    id         TEXT PRIMARY KEY,
    object     TEXT NOT NULL,
    key        TEXT NOT NULL,
    label      TEXT NOT NULL,
    type       TEXT NOT NULL,
    options    TEXT NOT NULL DEFAULT '[]',
    currency   TEXT NOT NULL DEFAULT '',
    required   INTEGER NOT NULL DEFAULT 0,
    filterable INTEGER NOT NULL DEFAULT 0,
    position   INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (object, key)
);

CREATE TABLE tags (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    name_lower TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE companies (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    sort_name   TEXT NOT NULL,
    domain      TEXT,
    industry    TEXT NOT NULL DEFAULT '',
    size        TEXT NOT NULL DEFAULT '',
    street      TEXT NOT NULL DEFAULT '',
    city        TEXT NOT NULL DEFAULT '',
    region      TEXT NOT NULL DEFAULT '',
    postal_code TEXT NOT NULL DEFAULT '',
    country     TEXT NOT NULL DEFAULT '',
    owner_id    TEXT REFERENCES users (id),
    custom      TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    created_by  TEXT,
    updated_by  TEXT,
    deleted_at  TEXT
);
CREATE UNIQUE INDEX companies_domain ON companies (domain) WHERE deleted_at IS NULL;
CREATE INDEX companies_sort_name ON companies (sort_name, id);
CREATE INDEX companies_updated ON companies (updated_at, id);
CREATE INDEX companies_owner ON companies (owner_id, id);

CREATE TABLE contacts (
    id              TEXT PRIMARY KEY,
    first_name      TEXT NOT NULL DEFAULT '',
    last_name       TEXT NOT NULL DEFAULT '',
    display_name    TEXT NOT NULL,
    sort_name       TEXT NOT NULL,
    email           TEXT,
    phone           TEXT,
    job_title       TEXT NOT NULL DEFAULT '',
    company_id      TEXT REFERENCES companies (id),
    street          TEXT NOT NULL DEFAULT '',
    city            TEXT NOT NULL DEFAULT '',
    region          TEXT NOT NULL DEFAULT '',
    postal_code     TEXT NOT NULL DEFAULT '',
    country         TEXT NOT NULL DEFAULT '',
    birthday        TEXT,
    source          TEXT NOT NULL DEFAULT '',
    lifecycle_stage TEXT NOT NULL DEFAULT 'lead',
    owner_id        TEXT REFERENCES users (id),
    custom          TEXT NOT NULL DEFAULT '{}',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    created_by      TEXT,
    updated_by      TEXT,
    deleted_at      TEXT
);
CREATE INDEX contacts_sort_name ON contacts (sort_name, id);
CREATE INDEX contacts_updated ON contacts (updated_at, id);
CREATE INDEX contacts_created ON contacts (created_at, id);
CREATE INDEX contacts_email ON contacts (email, id);
CREATE INDEX contacts_company ON contacts (company_id, id);
CREATE INDEX contacts_owner ON contacts (owner_id, id);
CREATE INDEX contacts_stage ON contacts (lifecycle_stage, id);

CREATE TABLE contact_emails (
    contact_id  TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    address     TEXT NOT NULL,
    address_key TEXT NOT NULL,
    label       TEXT NOT NULL DEFAULT '',
    live        INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (contact_id, position)
);
CREATE UNIQUE INDEX contact_emails_live ON contact_emails (address_key) WHERE live = 1;
CREATE INDEX contact_emails_key ON contact_emails (address_key);

CREATE TABLE contact_phones (
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    e164       TEXT NOT NULL,
    original   TEXT NOT NULL,
    label      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (contact_id, position)
);
CREATE INDEX contact_phones_e164 ON contact_phones (e164);

CREATE TABLE contact_companies (
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    company_id TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    PRIMARY KEY (contact_id, company_id)
);
CREATE INDEX contact_companies_company ON contact_companies (company_id, contact_id);

CREATE TABLE contact_tags (
    contact_id TEXT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    tag_id     TEXT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (contact_id, tag_id)
);
CREATE INDEX contact_tags_tag ON contact_tags (tag_id, contact_id);

CREATE TABLE company_tags (
    company_id TEXT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    tag_id     TEXT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (company_id, tag_id)
);
CREATE INDEX company_tags_tag ON company_tags (tag_id, company_id);

CREATE TABLE activities (
    id               TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    contact_id       TEXT REFERENCES contacts (id) ON DELETE CASCADE,
    company_id       TEXT REFERENCES companies (id) ON DELETE CASCADE,
    subject          TEXT NOT NULL DEFAULT '',
    body             TEXT NOT NULL DEFAULT '',
    pinned           INTEGER NOT NULL DEFAULT 0,
    occurred_at      TEXT NOT NULL,
    ends_at          TEXT,
    outcome          TEXT NOT NULL DEFAULT '',
    duration_seconds INTEGER,
    direction        TEXT NOT NULL DEFAULT '',
    attendees        TEXT NOT NULL DEFAULT '[]',
    created_by       TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    deleted_at       TEXT
);
CREATE INDEX activities_contact ON activities (contact_id, occurred_at);
CREATE INDEX activities_company ON activities (company_id, occurred_at);

CREATE TABLE saved_views (
    id         TEXT PRIMARY KEY,
    object     TEXT NOT NULL,
    name       TEXT NOT NULL,
    owner_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    shared     INTEGER NOT NULL DEFAULT 0,
    definition TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX saved_views_object ON saved_views (object, owner_id);

CREATE TABLE bulk_operations (
    id          TEXT PRIMARY KEY,
    object      TEXT NOT NULL,
    action      TEXT NOT NULL,
    params      TEXT NOT NULL DEFAULT '{}',
    status      TEXT NOT NULL,
    total       INTEGER NOT NULL DEFAULT 0,
    done        INTEGER NOT NULL DEFAULT 0,
    cursor      TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT '',
    created_by  TEXT,
    created_at  TEXT NOT NULL,
    finished_at TEXT
);

ALTER TABLE events ADD COLUMN contact_id TEXT;
ALTER TABLE events ADD COLUMN company_id TEXT;
CREATE INDEX events_contact ON events (contact_id, occurred_at, id) WHERE contact_id IS NOT NULL;
CREATE INDEX events_company ON events (company_id, occurred_at, id) WHERE company_id IS NOT NULL;

-- +goose Down
DROP INDEX events_company;
DROP INDEX events_contact;
ALTER TABLE events DROP COLUMN company_id;
ALTER TABLE events DROP COLUMN contact_id;
DROP TABLE bulk_operations;
DROP TABLE saved_views;
DROP TABLE activities;
DROP TABLE company_tags;
DROP TABLE contact_tags;
DROP TABLE contact_companies;
DROP TABLE contact_phones;
DROP TABLE contact_emails;
DROP TABLE contacts;
DROP TABLE companies;
DROP TABLE tags;
DROP TABLE custom_fields;
DROP TABLE settings;
