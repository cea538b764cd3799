-- +goose Up
-- CSV and vCard imports (internal/importer). rows_done is the checkpoint:
-- it moves in the same transaction as the rows it counts, so an import
-- that stops for any reason resumes with the next row, never twice.
CREATE TABLE imports (
    id             TEXT PRIMARY KEY,
    object         TEXT NOT NULL,
    format         TEXT NOT NULL,
    file_name      TEXT NOT NULL,
    file_size      INTEGER NOT NULL,
    file_sha256    TEXT NOT NULL,
    encoding       TEXT NOT NULL DEFAULT '',
    delimiter      TEXT NOT NULL DEFAULT '',
    header         TEXT NOT NULL DEFAULT '[]',
    mapping        TEXT NOT NULL DEFAULT '[]',
    mode           TEXT NOT NULL DEFAULT 'skip',
    dry_run        INTEGER NOT NULL DEFAULT 0,
    status         TEXT NOT NULL,
    rows_done      INTEGER NOT NULL DEFAULT 0,
    bytes_done     INTEGER NOT NULL DEFAULT 0,
    created_count  INTEGER NOT NULL DEFAULT 0,
    updated_count  INTEGER NOT NULL DEFAULT 0,
    skipped_count  INTEGER NOT NULL DEFAULT 0,
    rejected_count INTEGER NOT NULL DEFAULT 0,
    error          TEXT NOT NULL DEFAULT '',
    created_by     TEXT REFERENCES users (id),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    started_at     TEXT,
    finished_at    TEXT
);
CREATE INDEX imports_created_by ON imports (created_by, id);

-- One row per processed row: what happened, to which record, and what to
-- put back on undo; rejected rows keep the original fields for the error
-- report.
CREATE TABLE import_rows (
    import_id TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    row_no    INTEGER NOT NULL,
    line      INTEGER NOT NULL,
    outcome   TEXT NOT NULL,
    record_id TEXT,
    before    TEXT,
    problem   TEXT,
    raw       TEXT,
    PRIMARY KEY (import_id, row_no)
);
CREATE INDEX import_rows_record ON import_rows (record_id);
