-- +goose Up
-- An import writes one import_rows row per row of its file, in the same
-- transaction as the records: every index and check here is paid per
-- imported row. The reference to imports goes (rows are written only by
-- the transaction that moves that import's checkpoint, which reads the
-- import; imports are never deleted; the check was a key-share lock per
-- row), and one index on (record_id, import_id) of the rows that name a
-- record replaces the two that answered "this record's rows" (erasure)
-- and "this record's rows in this import" (undo).
ALTER TABLE import_rows DROP CONSTRAINT import_rows_import_id_fkey;
DROP INDEX import_rows_record;
DROP INDEX import_rows_import_record;
CREATE INDEX import_rows_record ON import_rows (record_id, import_id) WHERE record_id IS NOT NULL;

-- +goose Down
DROP INDEX import_rows_record;
CREATE INDEX import_rows_record ON import_rows (record_id);
CREATE INDEX import_rows_import_record ON import_rows (import_id, record_id);
ALTER TABLE import_rows ADD CONSTRAINT import_rows_import_id_fkey
    FOREIGN KEY (import_id) REFERENCES imports (id) ON DELETE CASCADE;
