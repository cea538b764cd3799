-- +goose Up
-- An import writes one import_rows row per row of its file, in the same
-- transaction as the records: every index and check here is paid per
-- imported row. The table is rebuilt keyed by its primary key alone
-- (WITHOUT ROWID: one B-tree instead of a table and its key's index), the
-- reference to imports goes (rows are written only by the transaction that
-- moves that import's checkpoint, which reads the import; imports are
-- never deleted), and one index on (record_id, import_id) of the rows that
-- name a record replaces the two that answered "this record's rows"
-- (erasure) and "this record's rows in this import" (undo).
CREATE TABLE import_rows_new (
    import_id   TEXT NOT NULL,
    row_no      INTEGER NOT NULL,
    line        INTEGER NOT NULL,
    outcome     TEXT NOT NULL,
    record_id   TEXT,
    before      TEXT,
    problem     TEXT,
    raw         TEXT,
    undo        TEXT,
    undo_reason TEXT,
    PRIMARY KEY (import_id, row_no)
) WITHOUT ROWID;
INSERT INTO import_rows_new (import_id, row_no, line, outcome, record_id, before, problem, raw, undo, undo_reason)
SELECT import_id, row_no, line, outcome, record_id, before, problem, raw, undo, undo_reason FROM import_rows;
DROP TABLE import_rows;
ALTER TABLE import_rows_new RENAME TO import_rows;
CREATE INDEX import_rows_record ON import_rows (record_id, import_id) WHERE record_id IS NOT NULL;

-- +goose Down
CREATE TABLE import_rows_old (
    import_id   TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    row_no      INTEGER NOT NULL,
    line        INTEGER NOT NULL,
    outcome     TEXT NOT NULL,
    record_id   TEXT,
    before      TEXT,
    problem     TEXT,
    raw         TEXT,
    undo        TEXT,
    undo_reason TEXT,
    PRIMARY KEY (import_id, row_no)
);
INSERT INTO import_rows_old SELECT import_id, row_no, line, outcome, record_id, before, problem, raw, undo, undo_reason FROM import_rows;
DROP TABLE import_rows;
ALTER TABLE import_rows_old RENAME TO import_rows;
CREATE INDEX import_rows_record ON import_rows (record_id);
CREATE INDEX import_rows_import_record ON import_rows (import_id, record_id);
