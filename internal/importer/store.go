package importer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
)

const importColumns = `id, object, format, file_name, file_size, file_sha256, encoding, delimiter, header, mapping,
	mode, dry_run, status, rows_done, bytes_done, created_count, updated_count, skipped_count, rejected_count,
	error, created_by, created_at, updated_at, started_at, finished_at, undo_total, undo_done, undo_removed,
	undo_restored, undo_left, undo_cursor, undone_by, undo_started_at`

func scanImport(row interface{ Scan(...any) error }) (Import, error) {
	var im Import
	var header, mapping, mode, status string
	var createdBy, undoneBy sql.NullString
	var cursor sql.NullInt64
	var created, updated, started, finished, undoStarted db.Time
	err := row.Scan(&im.ID, &im.Object, &im.Format, &im.FileName, &im.FileSize, &im.SHA256, &im.Encoding, &im.Delimiter,
		&header, &mapping, &mode, &im.DryRun, &status, &im.RowsDone, &im.BytesDone, &im.Created, &im.Updated, &im.Skipped,
		&im.Rejected, &im.Error, &createdBy, &created, &updated, &started, &finished, &im.Undo.Total, &im.Undo.Done,
		&im.Undo.Removed, &im.Undo.Restored, &im.Undo.LeftAlone, &cursor, &undoneBy, &undoStarted)
	if err != nil {
		return im, err
	}
	im.Undo.cursor, im.Undo.By, im.Undo.StartedAt = cursor.Int64, undoneBy.String, undoStarted.Time
	im.Mode, im.Status, im.CreatedBy = contact.ImportMode(mode), Status(status), createdBy.String
	im.CreatedAt, im.UpdatedAt, im.StartedAt, im.FinishedAt = created.Time, updated.Time, started.Time, finished.Time
	if err := json.Unmarshal([]byte(header), &im.Header); err != nil {
		return im, fmt.Errorf("import %s: header: %w", im.ID, err)
	}
	if err := json.Unmarshal([]byte(mapping), &im.Mapping); err != nil {
		return im, fmt.Errorf("import %s: mapping: %w", im.ID, err)
	}
	return im, nil
}

func insertImport(ctx context.Context, tx *db.Tx, im Import) error {
	header, _ := json.Marshal(nonNil(im.Header))
	mapping, _ := json.Marshal(nonNil(im.Mapping))
	_, err := tx.ExecContext(ctx, `INSERT INTO imports (id, object, format, file_name, file_size, file_sha256, encoding,
		delimiter, header, mapping, mode, dry_run, status, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)`,
		im.ID, im.Object, im.Format, im.FileName, im.FileSize, im.SHA256, im.Encoding, im.Delimiter, string(header),
		string(mapping), string(im.Mode), im.DryRun, string(im.Status), db.NullString(im.CreatedBy), db.T(im.CreatedAt))
	if err != nil {
		return fmt.Errorf("importer: insert: %w", err)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func loadImport(ctx context.Context, q db.Querier, importID string) (Import, error) {
	im, err := scanImport(q.QueryRowContext(ctx, `SELECT `+importColumns+` FROM imports WHERE id = $1`, importID))
	if errors.Is(err, sql.ErrNoRows) {
		return im, fmt.Errorf("import %s: %w", importID, apperr.ErrNotFound)
	}
	if err != nil {
		return im, fmt.Errorf("importer: load: %w", err)
	}
	return im, nil
}

func listImports(ctx context.Context, q db.Querier, where string, args []any) ([]Import, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+importColumns+` FROM imports`+where+` ORDER BY id DESC LIMIT $1`, args...)
	if err != nil {
		return nil, fmt.Errorf("importer: list: %w", err)
	}
	defer rows.Close()
	out := []Import{}
	for rows.Next() {
		im, err := scanImport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, im)
	}
	return out, rows.Err()
}

func markQueued(ctx context.Context, tx *db.Tx, im Import) error {
	res, err := tx.ExecContext(ctx, `UPDATE imports SET status = $2, dry_run = $3, updated_at = $4 WHERE id = $1 AND status = $5`,
		im.ID, string(Queued), im.DryRun, db.T(db.Now()), string(Uploaded))
	if err != nil {
		return fmt.Errorf("importer: start: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		v := &apperr.Validation{Conflict: true}
		v.Add("status", "This import has already started.")
		return v
	}
	return nil
}
