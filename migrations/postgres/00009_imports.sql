-- +goose Up
-- CSV and vCard imports (internal/importer). rows_done is the checkpoint:
-- it moves in the same transaction as the rows it counts, so an import
-- that stops for any reason resumes with the next row, never twice.
CREATE TABLE imports (
    id             uuid PRIMARY KEY,
    object         text NOT NULL,
    format         text NOT NULL,
    file_name      text NOT NULL,
    file_size      bigint NOT NULL,
    file_sha256    text NOT NULL,
    encoding       text NOT NULL DEFAULT '',
    delimiter      text NOT NULL DEFAULT '',
    header         text NOT NULL DEFAULT '[]',
    mapping        text NOT NULL DEFAULT '[]',
    mode           text NOT NULL DEFAULT 'skip',
    dry_run        boolean NOT NULL DEFAULT false,
    status         text NOT NULL,
    rows_done      bigint NOT NULL DEFAULT 0,
    bytes_done     bigint NOT NULL DEFAULT 0,
    created_count  bigint NOT NULL DEFAULT 0,
    updated_count  bigint NOT NULL DEFAULT 0,
    skipped_count  bigint NOT NULL DEFAULT 0,
    rejected_count bigint NOT NULL DEFAULT 0,
    error          text NOT NULL DEFAULT '',
    created_by     uuid REFERENCES users (id),
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    started_at     timestamptz,
    finished_at    timestamptz
);
CREATE INDEX imports_created_by ON imports (created_by, id);

-- One row per processed row: what happened, to which record, and what to
-- put back on undo; rejected rows keep the original fields for the error
-- report.
CREATE TABLE import_rows (
    import_id uuid NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    row_no    bigint NOT NULL,
    line      bigint NOT NULL,
    outcome   text NOT NULL,
    record_id uuid,
    before    text,
    problem   text,
    raw       text,
    PRIMARY KEY (import_id, row_no)
);
CREATE INDEX import_rows_record ON import_rows (record_id);
