package importer

import (
	"context"
	"fmt"
	"strings"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/gdpr"
)

// PrivacyPart is what imports hold about a person, for their data export
// and their erasure: the lines of imports that created or changed them
// (with the values an undo would put back) and rejected lines that quote
// one of their email addresses.
func PrivacyPart() gdpr.Part {
	return gdpr.Part{Name: "imports", Export: exportRows, Erase: eraseRows}
}

type importLine struct {
	ImportID string `json:"import_id"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Outcome  string `json:"outcome"`
}

func exportRows(ctx context.Context, q db.Querier, contactID string) (any, error) {
	rows, err := q.QueryContext(ctx, `SELECT r.import_id, i.file_name, r.line, r.outcome FROM import_rows r
		JOIN imports i ON i.id = r.import_id WHERE r.record_id = $1 ORDER BY r.import_id, r.row_no`, contactID)
	if err != nil {
		return nil, fmt.Errorf("importer: export: %w", err)
	}
	defer rows.Close()
	out := []importLine{}
	for rows.Next() {
		var l importLine
		if err := rows.Scan(&l.ImportID, &l.File, &l.Line, &l.Outcome); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

func eraseRows(ctx context.Context, tx *db.Tx, contactID string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM import_rows WHERE record_id = $1`, contactID); err != nil {
		return fmt.Errorf("importer: erase: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT address_key FROM contact_emails WHERE contact_id = $1`, contactID)
	if err != nil {
		return fmt.Errorf("importer: erase: %w", err)
	}
	var emails []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			rows.Close()
			return err
		}
		emails = append(emails, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	for _, e := range emails {
		if _, err := tx.ExecContext(ctx, `DELETE FROM import_rows WHERE outcome = 'rejected' AND lower(raw) LIKE $1 ESCAPE '\'`,
			"%"+esc.Replace(e)+"%"); err != nil {
			return fmt.Errorf("importer: erase: %w", err)
		}
	}
	return nil
}
