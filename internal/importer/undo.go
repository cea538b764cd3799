package importer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
)

// LeftAlone is a record undo did not touch, and why.
type LeftAlone struct {
	RecordID string
	Reason   string
}

// UndoResult is what undoing an import did.
type UndoResult struct {
	// Removed counts the records the import created that are now gone.
	Removed int
	// Restored counts the records the import changed that are back as
	// they were.
	Restored  int
	LeftAlone []LeftAlone
}

// Undo takes an import back: the records it created are removed and the
// ones it changed get their earlier values again, each only if nothing
// changed it after the import; the others are reported and left alone.
func (s *Service) Undo(ctx context.Context, importID string) (UndoResult, error) {
	im, err := s.Get(ctx, importID)
	if err != nil {
		return UndoResult{}, err
	}
	var v apperr.Validation
	switch {
	case im.DryRun:
		v.Add("status", "A dry run kept nothing, so there is nothing to undo.")
	case im.Status == Undone:
		v.Add("status", "This import has already been undone.")
	case im.Status != Done && im.Status != Canceled && im.Status != Failed:
		v.Add("status", "Wait for the import to end (or cancel it) before undoing it.")
	}
	if err := v.Err(); err != nil {
		v.Conflict = true
		return UndoResult{}, &v
	}
	// Changes made after this are someone else's.
	cutoff := im.FinishedAt
	if cutoff.IsZero() {
		cutoff = im.UpdatedAt
	}
	rows, err := s.o.DB.R.QueryContext(ctx, `SELECT outcome, record_id, before FROM import_rows
		WHERE import_id = $1 AND outcome IN ('created', 'updated') AND record_id IS NOT NULL ORDER BY row_no DESC`, im.ID)
	if err != nil {
		return UndoResult{}, fmt.Errorf("importer: undo: %w", err)
	}
	type todo struct {
		outcome, recordID string
		before            sql.NullString
	}
	var list []todo
	for rows.Next() {
		var t todo
		if err := rows.Scan(&t.outcome, &t.recordID, &t.before); err != nil {
			rows.Close()
			return UndoResult{}, err
		}
		list = append(list, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return UndoResult{}, err
	}
	var res UndoResult
	seen := map[string]bool{}
	for _, t := range list {
		if seen[t.recordID] {
			continue // a later row of the file changed it again: undone once
		}
		seen[t.recordID] = true
		reason, err := s.undoOne(ctx, im, t.outcome, t.recordID, t.before.String, cutoff)
		if err != nil {
			return res, err
		}
		switch {
		case reason != "":
			res.LeftAlone = append(res.LeftAlone, LeftAlone{RecordID: t.recordID, Reason: reason})
		case t.outcome == contact.Created:
			res.Removed++
		default:
			res.Restored++
		}
	}
	err = s.o.DB.WithTx(ctx, func(tx *db.Tx) error {
		now := db.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE imports SET status = $2, updated_at = $3 WHERE id = $1`,
			im.ID, string(Undone), db.T(now)); err != nil {
			return err
		}
		a, _ := access.ActorFrom(ctx)
		_, err := event.Record(ctx, tx, event.Event{Kind: "import.undone", ActorID: a.UserID, SubjectType: "import",
			SubjectID: im.ID, Data: map[string]any{"file": im.FileName, "removed": res.Removed, "restored": res.Restored,
				"left_alone": len(res.LeftAlone)}})
		return err
	})
	return res, err
}

// undoOne takes back what the import did to one record; it returns why it
// left the record alone, or "".
func (s *Service) undoOne(ctx context.Context, im Import, outcome, recordID, before string, cutoff time.Time) (string, error) {
	changedSince := func(at time.Time) string {
		if at.After(cutoff) {
			return "It was changed on " + at.Local().Format("2 Jan 2006 at 15:04") + ", after the import."
		}
		return ""
	}
	gone := func(err error) (string, bool) {
		if errors.Is(err, apperr.ErrNotFound) {
			return "It was deleted after the import.", true
		}
		return "", false
	}
	if im.Object == Companies {
		cur, err := s.o.Companies.ByID(ctx, recordID)
		if msg, ok := gone(err); ok {
			return msg, nil
		}
		if err != nil {
			return "", err
		}
		if msg := changedSince(cur.UpdatedAt); msg != "" {
			return msg, nil
		}
		if outcome == contact.Created {
			return "", s.o.Companies.Delete(ctx, recordID)
		}
		var was company.Company
		if err := json.Unmarshal([]byte(before), &was); err != nil {
			return "Its earlier values were not kept.", nil
		}
		_, err = s.o.Companies.Update(ctx, recordID, company.RestoreInput(was, cur))
		if v := apperr.AsValidation(err); v != nil {
			return "Its earlier values no longer pass the rules: " + v.Error(), nil
		}
		return "", err
	}
	cur, err := s.o.Contacts.ByID(ctx, recordID)
	if msg, ok := gone(err); ok {
		return msg, nil
	}
	if err != nil {
		return "", err
	}
	if msg := changedSince(cur.UpdatedAt); msg != "" {
		return msg, nil
	}
	if outcome == contact.Created {
		return "", s.o.Contacts.Delete(ctx, recordID)
	}
	var was contact.Contact
	if err := json.Unmarshal([]byte(before), &was); err != nil {
		return "Its earlier values were not kept.", nil
	}
	_, err = s.o.Contacts.Update(ctx, recordID, contact.RestoreInput(was, cur))
	if v := apperr.AsValidation(err); v != nil {
		return "Its earlier values no longer pass the rules: " + v.Error(), nil
	}
	return "", err
}

// Again makes a new import of the same file with the same settings, ready
// to start: after a dry run, this is the real import.
func (s *Service) Again(ctx context.Context, importID string) (Import, error) {
	old, err := s.Get(ctx, importID)
	if err != nil {
		return old, err
	}
	actor, _ := access.ActorFrom(ctx)
	im := old
	now := db.Now()
	im.ID, im.Status, im.DryRun, im.CreatedBy, im.CreatedAt, im.UpdatedAt = id.New(), Uploaded, false, actor.UserID, now, now
	im.RowsDone, im.BytesDone, im.Created, im.Updated, im.Skipped, im.Rejected, im.Error = 0, 0, 0, 0, 0, 0, ""
	im.StartedAt, im.FinishedAt = time.Time{}, time.Time{}
	if err := copyFile(s.path(old.ID), s.path(im.ID)); err != nil {
		return Import{}, err
	}
	err = s.o.DB.WithTx(ctx, func(tx *db.Tx) error { return insertImport(ctx, tx, im) })
	if err != nil {
		os.Remove(s.path(im.ID))
	}
	return im, err
}

func copyFile(from, to string) error {
	if err := os.Link(from, to); err == nil {
		return nil
	}
	in, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("importer: the uploaded file is gone: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("importer: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("importer: %w", err)
	}
	return out.Close()
}
