package importer

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/rapportcrm/rapport/internal/apperr"
)

// ErrorReport writes the rejected rows of an import as CSV: the file's
// header (or, for vCards, name and emails) with "line" and "reason"
// columns added, and each rejected row as it was read, so the user can fix
// the rows and import the report itself.
func (s *Service) ErrorReport(ctx context.Context, importID string, w io.Writer) (int, error) {
	im, err := s.Get(ctx, importID)
	if err != nil {
		return 0, err
	}
	rows, err := s.o.DB.R.QueryContext(ctx, `SELECT line, problem, raw FROM import_rows
		WHERE import_id = $1 AND outcome = 'rejected' ORDER BY row_no`, im.ID)
	if err != nil {
		return 0, fmt.Errorf("importer: report: %w", err)
	}
	defer rows.Close()
	cw := csv.NewWriter(w)
	header := append([]string(nil), im.Header...)
	if im.Format == VCard {
		header = []string{"name", "emails"}
	}
	cw.Write(append(header, "line", "reason"))
	n := 0
	for rows.Next() {
		var line int
		var problem, raw string
		if err := rows.Scan(&line, &problem, &raw); err != nil {
			return n, err
		}
		var fields []apperr.FieldError
		var rec []string
		json.Unmarshal([]byte(problem), &fields)
		json.Unmarshal([]byte(raw), &rec)
		if im.Format == VCard && len(rec) > 0 {
			rec = []string{rec[0], strings.Join(rec[1:], ", ")}
		}
		for len(rec) < len(header) {
			rec = append(rec, "")
		}
		var reasons []string
		for _, f := range fields {
			reasons = append(reasons, Reason(f))
		}
		cw.Write(append(rec[:len(header)], fmt.Sprint(line), strings.Join(reasons, " ")))
		n++
	}
	cw.Flush()
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, cw.Error()
}

// Reason is what a rejected row's problem says to a person reading the
// preview or the rejected rows: the message, after the name of the field
// it is about ("Job title: Use a single line.") unless the message names
// it already or is about the whole row.
func Reason(f apperr.FieldError) string {
	base := f.Field
	if i := strings.IndexAny(base, "[."); i >= 0 {
		base = base[:i]
	}
	label, ok := reasonLabels[base]
	if !ok {
		label = strings.ReplaceAll(base, "_", " ")
		if label != "" {
			label = strings.ToUpper(label[:1]) + label[1:]
		}
	}
	if label == "" || strings.Contains(strings.ToLower(f.Message), strings.ToLower(label)) {
		return f.Message
	}
	return label + ": " + f.Message
}

// reasonLabels names the fields whose names are not their labels; "" for
// problems of the whole row.
var reasonLabels = map[string]string{
	"row": "", "mapping": "", "emails": "Email", "phones": "Phone", "companies": "Company",
	"custom": "Custom field", "lifecycle_stage": "Lifecycle stage",
}
