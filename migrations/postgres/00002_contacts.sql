-- +goose Up
CREATE TABLE settings (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE custom_fields (
    id         uuid PRIMARY KEY,
    object     text NOT NULL,
    key        text NOT NULL,
    label      text NOT NULL,
    type       text NOT NULL,
    options    jsonb NOT NULL DEFAULT '[]',
    currency   text NOT NULL DEFAULT '',
    required   boolean NOT NULL DEFAULT false,
    filterable boolean NOT NULL DEFAULT false,
    position   integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (object, key)
);

CREATE TABLE tags (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    name_lower text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);

CREATE TABLE companies (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    sort_name   text NOT NULL,
    domain      text,
    industry    text NOT NULL DEFAULT '',
    size        text NOT NULL DEFAULT '',
    street      text NOT NULL DEFAULT '',
    city        text NOT NULL DEFAULT '',
    region      text NOT NULL DEFAULT '',
    postal_code text NOT NULL DEFAULT '',
    country     text NOT NULL DEFAULT '',
    owner_id    uuid REFERENCES users (id),
    custom      jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    created_by  uuid,
    updated_by  uuid,
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX companies_domain ON companies (domain) WHERE deleted_at IS NULL;
CREATE INDEX companies_sort_name ON companies (sort_name, id);
CREATE INDEX companies_updated ON companies (updated_at, id);
CREATE INDEX companies_owner ON companies (owner_id, id);

CREATE TABLE contacts (
    id              uuid PRIMARY KEY,
    first_name      text NOT NULL DEFAULT '',
    last_name       text NOT NULL DEFAULT '',
    display_name    text NOT NULL,
    sort_name       text NOT NULL,
    email           text,
    phone           text,
    job_title       text NOT NULL DEFAULT '',
    company_id      uuid REFERENCES companies (id),
    street          text NOT NULL DEFAULT '',
    city            text NOT NULL DEFAULT '',
    region          text NOT NULL DEFAULT '',
    postal_code     text NOT NULL DEFAULT '',
    country         text NOT NULL DEFAULT '',
    birthday        date,
    source          text NOT NULL DEFAULT '',
    lifecycle_stage text NOT NULL DEFAULT 'lead',
    owner_id        uuid REFERENCES users (id),
    custom          jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    created_by      uuid,
    updated_by      uuid,
    deleted_at      timestamptz
);
CREATE INDEX contacts_sort_name ON contacts (sort_name, id);
CREATE INDEX contacts_updated ON contacts (updated_at, id);
CREATE INDEX contacts_created ON contacts (created_at, id);
CREATE INDEX contacts_email ON contacts (email, id);
CREATE INDEX contacts_company ON contacts (company_id, id);
CREATE INDEX contacts_owner ON contacts (owner_id, id);
CREATE INDEX contacts_stage ON contacts (lifecycle_stage, id);

CREATE TABLE contact_emails (
    contact_id  uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    position    integer NOT NULL,
    address     text NOT NULL,
    address_key text NOT NULL,
    label       text NOT NULL DEFAULT '',
    live        boolean NOT NULL DEFAULT true,
    PRIMARY KEY (contact_id, position)
);
CREATE UNIQUE INDEX contact_emails_live ON contact_emails (address_key) WHERE live;
CREATE INDEX contact_emails_key ON contact_emails (address_key);

CREATE TABLE contact_phones (
    contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    position   integer NOT NULL,
    e164       text NOT NULL,
    original   text NOT NULL,
    label      text NOT NULL DEFAULT '',
    PRIMARY KEY (contact_id, position)
);
CREATE INDEX contact_phones_e164 ON contact_phones (e164);

CREATE TABLE contact_companies (
    contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    company_id uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    position   integer NOT NULL,
    PRIMARY KEY (contact_id, company_id)
);
CREATE INDEX contact_companies_company ON contact_companies (company_id, contact_id);

CREATE TABLE contact_tags (
    contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    tag_id     uuid NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (contact_id, tag_id)
);
CREATE INDEX contact_tags_tag ON contact_tags (tag_id, contact_id);

CREATE TABLE company_tags (
    company_id uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    tag_id     uuid NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (company_id, tag_id)
);
CREATE INDEX company_tags_tag ON company_tags (tag_id, company_id);

CREATE TABLE activities (
    id               uuid PRIMARY KEY,
    kind             text NOT NULL,
    contact_id       uuid REFERENCES contacts (id) ON DELETE CASCADE,
    company_id       uuid REFERENCES companies (id) ON DELETE CASCADE,
    subject          text NOT NULL DEFAULT '',
    body             text NOT NULL DEFAULT '',
    pinned           boolean NOT NULL DEFAULT false,
    occurred_at      timestamptz NOT NULL,
    ends_at          timestamptz,
    outcome          text NOT NULL DEFAULT '',
    duration_seconds integer,
    direction        text NOT NULL DEFAULT '',
    attendees        jsonb NOT NULL DEFAULT '[]',
    created_by       uuid,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    deleted_at       timestamptz
);
CREATE INDEX activities_contact ON activities (contact_id, occurred_at);
CREATE INDEX activities_company ON activities (company_id, occurred_at);

CREATE TABLE saved_views (
    id         uuid PRIMARY KEY,
    object     text NOT NULL,
    name       text NOT NULL,
    owner_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    shared     boolean NOT NULL DEFAULT false,
    definition jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX saved_views_object ON saved_views (object, owner_id);

CREATE TABLE bulk_operations (
    id          uuid PRIMARY KEY,
    object      text NOT NULL,
    action      text NOT NULL,
    params      jsonb NOT NULL DEFAULT '{}',
    status      text NOT NULL,
    total       integer NOT NULL DEFAULT 0,
    done        integer NOT NULL DEFAULT 0,
    cursor      text NOT NULL DEFAULT '',
    error       text NOT NULL DEFAULT '',
    created_by  uuid,
    created_at  timestamptz NOT NULL,
    finished_at timestamptz
);

ALTER TABLE events ADD COLUMN contact_id uuid;
ALTER TABLE events ADD COLUMN company_id uuid;
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
