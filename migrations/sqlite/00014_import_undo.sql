-- +goose Up
-- Undoing an import runs as a durable job through import_rows, newest row
-- first: undo_cursor is the row number it has reached (rows below it are
-- still to do) and moves in the same transaction as the records it takes
-- back, so an undo that stops resumes where it was, never twice. Each row
-- keeps what undo did to its record and, when it left it alone, why.
ALTER TABLE imports ADD COLUMN undo_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN undo_done INTEGER NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN undo_removed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN undo_restored INTEGER NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN undo_left INTEGER NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN undo_cursor INTEGER;
ALTER TABLE imports ADD COLUMN undo_started_at TEXT;
ALTER TABLE imports ADD COLUMN undone_by TEXT;
ALTER TABLE import_rows ADD COLUMN undo TEXT;
ALTER TABLE import_rows ADD COLUMN undo_reason TEXT;
CREATE INDEX import_rows_import_record ON import_rows (import_id, record_id);

-- +goose Down
DROP INDEX import_rows_import_record;
ALTER TABLE import_rows DROP COLUMN undo_reason;
ALTER TABLE import_rows DROP COLUMN undo;
ALTER TABLE imports DROP COLUMN undone_by;
ALTER TABLE imports DROP COLUMN undo_started_at;
ALTER TABLE imports DROP COLUMN undo_cursor;
ALTER TABLE imports DROP COLUMN undo_left;
ALTER TABLE imports DROP COLUMN undo_restored;
ALTER TABLE imports DROP COLUMN undo_removed;
ALTER TABLE imports DROP COLUMN undo_done;
ALTER TABLE imports DROP COLUMN undo_total;
