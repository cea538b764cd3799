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

	"github.com/rapportcrm/rapport/internal/jobs"
	"github.com/riverqueue/river"

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

// UndoArgs is the job that takes an import back.
type UndoArgs struct {
	ImportID string `json:"import_id"`
}

// Kind implements river.JobArgs.
func (UndoArgs) Kind() string { return "import.undo" }

// UndoWorker runs undos from the job queue.
type UndoWorker struct {
	river.WorkerDefaults[UndoArgs]
	s *Service
}

// NewUndoWorker returns the worker to register with the job queue.
func NewUndoWorker(s *Service) *UndoWorker { return &UndoWorker{s: s} }

// Work takes batches back until the undo ends or the budget is spent.
func (w *UndoWorker) Work(ctx context.Context, job *river.Job[UndoArgs]) error {
	complete := func(tx *db.Tx) error { return jobs.CompleteTx(ctx, tx, job.JobRow) }
	deadline := time.Now().Add(budget)
	for {
		finished, err := w.s.undoStep(ctx, job.Args.ImportID, complete)
		if err != nil {
			if ctx.Err() != nil {
				return river.JobSnooze(0)
			}
			return err
		}
		if finished {
			return nil
		}
		if time.Now().After(deadline) {
			return river.JobSnooze(0)
		}
	}
}

// undoBatch is how many rows one undo transaction takes back.
const undoBatch = 200

// Undo starts taking an import back: the records it created are removed
// and the ones it changed get their earlier values again, each only if
// nothing changed it after the import; the others are left alone, each
// with the reason (LeftAlone). With a job queue the work runs there and
// the import's Undo shows the progress; without one it runs here.
func (s *Service) Undo(ctx context.Context, importID string) (Import, error) {
	im, err := s.Get(ctx, importID)
	if err != nil {
		return im, err
	}
	var v apperr.Validation
	switch {
	case im.DryRun:
		v.Add("status", "A dry run kept nothing, so there is nothing to undo.")
	case im.Status == Undone:
		v.Add("status", "This import has already been undone.")
	case im.Status == Undoing:
		v.Add("status", "This import is being undone.")
	case im.Status != Done && im.Status != Canceled && im.Status != Failed:
		v.Add("status", "Wait for the import to end (or cancel it) before undoing it.")
	}
	if err := v.Err(); err != nil {
		v.Conflict = true
		return im, &v
	}
	actor, _ := access.ActorFrom(ctx)
	err = s.o.DB.WithTx(ctx, func(tx *db.Tx) error {
		var total, last sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), MAX(row_no) FROM import_rows
			WHERE import_id = $1 AND outcome IN ('created', 'updated') AND record_id IS NOT NULL`, im.ID).Scan(&total, &last); err != nil {
			return err
		}
		now := db.Now()
		res, err := tx.ExecContext(ctx, `UPDATE imports SET status = $2, undo_total = $3, undo_cursor = $4, undone_by = $5,
			undo_started_at = $6, updated_at = $6 WHERE id = $1 AND status = $7`,
			im.ID, string(Undoing), total.Int64, last.Int64+1, db.NullString(actor.UserID), db.T(now), string(im.Status))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("importer: import %s changed meanwhile: %w", im.ID, apperr.ErrConflict)
		}
		if s.o.Queue == nil {
			return nil
		}
		return s.o.Queue.Enqueue(ctx, tx, UndoArgs{ImportID: im.ID}, nil)
	})
	if err != nil {
		return im, err
	}
	if s.o.Queue == nil {
		return s.RunUndo(ctx, im.ID)
	}
	return s.Get(ctx, im.ID)
}

// RunUndo takes an undo that has started to its end in this process.
func (s *Service) RunUndo(ctx context.Context, importID string) (Import, error) {
	for {
		finished, err := s.undoStep(ctx, importID, nil)
		if err != nil {
			return Import{}, err
		}
		if finished {
			return loadImport(ctx, s.o.DB.R, importID)
		}
	}
}

// undoRow is a row of the file whose record undo takes back.
type undoRow struct {
	rowNo             int64
	outcome, recordID string
	before            sql.NullString
}

// undoStep takes the next batch back in one transaction, with the
// checkpoint; it reports whether the undo has ended. complete, when not
// nil, runs in the transaction that ends it.
func (s *Service) undoStep(ctx context.Context, importID string, complete func(*db.Tx) error) (bool, error) {
	im, err := loadImport(ctx, s.o.DB.R, importID)
	if errors.Is(err, apperr.ErrNotFound) {
		return true, finishJob(ctx, s.o.DB, complete)
	}
	if err != nil {
		return false, err
	}
	if im.Status != Undoing {
		return true, finishJob(ctx, s.o.DB, complete)
	}
	actx, msg, err := s.actAs(ctx, im.Undo.By)
	if err != nil {
		return false, err
	}
	if msg != "" {
		actx = access.WithActor(ctx, access.SystemActor)
	}
	batch, err := s.undoRows(ctx, im)
	if err != nil {
		return false, err
	}
	// Changes made after the import ended are someone else's.
	cutoff := im.FinishedAt
	if cutoff.IsZero() {
		cutoff = im.UpdatedAt
	}
	finished := len(batch) == 0
	err = s.o.DB.WithTx(actx, func(tx *db.Tx) error {
		var removed, restored, left int64
		for _, r := range batch {
			var again bool
			err := tx.QueryRowContext(actx, `SELECT EXISTS (SELECT 1 FROM import_rows WHERE import_id = $1 AND record_id = $2
				AND row_no > $3 AND undo IS NOT NULL)`, im.ID, r.recordID, r.rowNo).Scan(&again)
			if err != nil {
				return err
			}
			done, reason := "again", ""
			if !again {
				// A later row of the file changed the same record: it is undone once.
				if reason, err = s.undoOne(actx, tx, im, r, cutoff); err != nil {
					return err
				}
				switch {
				case reason != "":
					done, left = "left", left+1
				case r.outcome == contact.Created:
					done, removed = "removed", removed+1
				default:
					done, restored = "restored", restored+1
				}
			}
			if _, err := tx.ExecContext(actx, `UPDATE import_rows SET undo = $3, undo_reason = $4 WHERE import_id = $1 AND row_no = $2`,
				im.ID, r.rowNo, done, db.NullString(reason)); err != nil {
				return err
			}
		}
		next := im.Undo.cursor
		if len(batch) > 0 {
			next = batch[len(batch)-1].rowNo
		}
		status := Undoing
		if finished {
			status = Undone
		}
		res, err := tx.ExecContext(actx, `UPDATE imports SET undo_cursor = $2, undo_done = undo_done + $3,
			undo_removed = undo_removed + $4, undo_restored = undo_restored + $5, undo_left = undo_left + $6,
			status = $7, updated_at = $8 WHERE id = $1 AND status = $9 AND undo_cursor = $10`,
			im.ID, next, len(batch), removed, restored, left, string(status), db.T(db.Now()), string(Undoing), im.Undo.cursor)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("importer: undo of %s moved on: %w", im.ID, apperr.ErrConflict)
		}
		if !finished {
			return nil
		}
		_, err = event.Record(actx, tx, event.Event{Kind: "import.undone", ActorID: im.Undo.By, SubjectType: "import",
			SubjectID: im.ID, Data: map[string]any{"file": im.FileName, "removed": im.Undo.Removed,
				"restored": im.Undo.Restored, "left_alone": im.Undo.LeftAlone}})
		if err != nil || complete == nil {
			return err
		}
		return complete(tx)
	})
	return finished, err
}

// undoRows reads the next rows to take back, newest first.
func (s *Service) undoRows(ctx context.Context, im Import) ([]undoRow, error) {
	rows, err := s.o.DB.R.QueryContext(ctx, `SELECT row_no, outcome, record_id, before FROM import_rows
		WHERE import_id = $1 AND row_no < $2 AND outcome IN ('created', 'updated') AND record_id IS NOT NULL
		ORDER BY row_no DESC LIMIT $3`, im.ID, im.Undo.cursor, undoBatch)
	if err != nil {
		return nil, fmt.Errorf("importer: undo: %w", err)
	}
	defer rows.Close()
	var out []undoRow
	for rows.Next() {
		var r undoRow
		if err := rows.Scan(&r.rowNo, &r.outcome, &r.recordID, &r.before); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LeftAloneList returns up to limit records the undo of an import left
// alone, with the reasons, after the row number after (0 for the first).
func (s *Service) LeftAloneList(ctx context.Context, importID string, limit int) ([]LeftAlone, error) {
	if _, err := s.Get(ctx, importID); err != nil {
		return nil, err
	}
	rows, err := s.o.DB.R.QueryContext(ctx, `SELECT record_id, undo_reason FROM import_rows
		WHERE import_id = $1 AND undo = 'left' ORDER BY row_no DESC LIMIT $2`, importID, limit)
	if err != nil {
		return nil, fmt.Errorf("importer: left alone: %w", err)
	}
	defer rows.Close()
	var out []LeftAlone
	for rows.Next() {
		var l LeftAlone
		var reason sql.NullString
		if err := rows.Scan(&l.RecordID, &reason); err != nil {
			return nil, err
		}
		l.Reason = reason.String
		out = append(out, l)
	}
	return out, rows.Err()
}

// undoOne takes back what the import did to one record inside tx; it
// returns why it left the record alone, or "". A record it may not
// change is left alone too, with the reason.
func (s *Service) undoOne(ctx context.Context, tx *db.Tx, im Import, r undoRow, cutoff time.Time) (string, error) {
	reason, err := s.undoRecord(ctx, tx, im, r, cutoff)
	if errors.Is(err, apperr.ErrForbidden) {
		return "Your role may not change it.", nil
	}
	return reason, err
}

func (s *Service) undoRecord(ctx context.Context, tx *db.Tx, im Import, r undoRow, cutoff time.Time) (string, error) {
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
		cur, err := s.o.Companies.ByIDTx(ctx, tx, r.recordID)
		if msg, ok := gone(err); ok {
			return msg, nil
		}
		if err != nil {
			return "", err
		}
		if msg := changedSince(cur.UpdatedAt); msg != "" {
			return msg, nil
		}
		if r.outcome == contact.Created {
			return "", s.o.Companies.DeleteTx(ctx, tx, r.recordID)
		}
		var was company.Company
		if err := json.Unmarshal([]byte(r.before.String), &was); err != nil {
			return "Its earlier values were not kept.", nil
		}
		_, err = s.o.Companies.UpdateTx(ctx, tx, r.recordID, company.RestoreInput(was, cur))
		if v := apperr.AsValidation(err); v != nil {
			return "Its earlier values no longer pass the rules: " + v.Error(), nil
		}
		return "", err
	}
	cur, err := s.o.Contacts.ByIDTx(ctx, tx, r.recordID)
	if msg, ok := gone(err); ok {
		return msg, nil
	}
	if err != nil {
		return "", err
	}
	if msg := changedSince(cur.UpdatedAt); msg != "" {
		return msg, nil
	}
	if r.outcome == contact.Created {
		return "", s.o.Contacts.DeleteTx(ctx, tx, r.recordID)
	}
	var was contact.Contact
	if err := json.Unmarshal([]byte(r.before.String), &was); err != nil {
		return "Its earlier values were not kept.", nil
	}
	_, err = s.o.Contacts.UpdateTx(ctx, tx, r.recordID, contact.RestoreInput(was, cur))
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
