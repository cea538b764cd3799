package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/jobs"
	"github.com/rapportcrm/rapport/internal/phone"
	"github.com/rapportcrm/rapport/internal/setting"
)

// Args is the job that runs one import.
type Args struct {
	ImportID string `json:"import_id"`
}

// Kind implements river.JobArgs.
func (Args) Kind() string { return "import.run" }

// budget is how long one run of the job works before it hands the rest to
// a fresh run, well inside the queue's job timeout and rescue delay.
const budget = 20 * time.Second

// Worker runs imports from the job queue.
type Worker struct {
	river.WorkerDefaults[Args]
	s *Service
}

// NewWorker returns the worker to register with the job queue.
func NewWorker(s *Service) *Worker { return &Worker{s: s} }

// Work runs batches until the import ends or the budget is spent; the
// batch that ends the import completes the job in its transaction.
func (w *Worker) Work(ctx context.Context, job *river.Job[Args]) error {
	complete := func(tx *db.Tx) error { return jobs.CompleteTx(ctx, tx, job.JobRow) }
	r := w.s.runner(job.Args.ImportID)
	defer r.close()
	deadline := time.Now().Add(budget)
	for {
		finished, err := r.step(ctx, complete)
		if err != nil {
			if ctx.Err() != nil {
				return river.JobSnooze(0)
			}
			if job.Attempt >= job.MaxAttempts {
				w.s.fail(context.WithoutCancel(ctx), job.Args.ImportID, "It stopped after repeated errors: "+err.Error(), complete)
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

// Run runs a configured import to its end in this process, as the shell
// command does, calling progress after each batch.
func (s *Service) Run(ctx context.Context, importID string, dryRun bool, progress func(Import)) (Import, error) {
	im, err := s.Get(ctx, importID)
	if err != nil {
		return im, err
	}
	if im.Status == Uploaded {
		if err := s.ready(ctx, im); err != nil {
			return im, err
		}
		im.DryRun = dryRun
		if err := s.o.DB.WithTx(ctx, func(tx *db.Tx) error { return markQueued(ctx, tx, im) }); err != nil {
			return im, err
		}
	}
	r := s.runner(importID)
	defer r.close()
	for {
		finished, err := r.step(ctx, nil)
		if err != nil {
			return im, err
		}
		if im, err = loadImport(ctx, s.o.DB.R, importID); err != nil {
			return im, err
		}
		if progress != nil {
			progress(im)
		}
		if finished {
			return im, nil
		}
	}
}

// runner works through one import, keeping the file open between batches.
type runner struct {
	s     *Service
	id    string
	src   source
	rowNo int64 // rows of src read so far
	lk    *lookups
	// dryEmails are the emails ("e:…") and numbers ("p:…") of contacts
	// a dry run's earlier batches created (and rolled back), so later rows
	// matching them count as matches, as they would in the real import.
	dryEmails map[string]bool
}

func (s *Service) runner(importID string) *runner { return &runner{s: s, id: importID} }

func (r *runner) close() {
	if r.src != nil {
		r.src.Close()
	}
}

// rowResult is what one row came to.
type rowResult struct {
	rowNo    int64
	line     int
	outcome  string
	recordID string
	before   any
	problem  error
	raw      []string
}

// errDryRun rolls a dry run's batch back.
var errDryRun = errors.New("importer: dry run")

// step runs the next batch and reports whether the import has ended.
// complete, when not nil, runs in the transaction that ends it.
func (r *runner) step(ctx context.Context, complete func(*db.Tx) error) (bool, error) {
	s := r.s
	im, err := loadImport(ctx, s.o.DB.R, r.id)
	if errors.Is(err, apperr.ErrNotFound) {
		return true, finishJob(ctx, s.o.DB, complete)
	}
	if err != nil {
		return false, err
	}
	if im.Finished() {
		return true, finishJob(ctx, s.o.DB, complete)
	}
	actx, msg, err := s.actAs(ctx, im.CreatedBy)
	if err != nil {
		return false, err
	}
	if msg != "" {
		return true, s.fail(ctx, im.ID, msg, complete)
	}
	if im.Status == Queued {
		if _, err := s.o.DB.W.ExecContext(ctx, `UPDATE imports SET status = $2, started_at = COALESCE(started_at, $3), updated_at = $3
			WHERE id = $1 AND status = $4`, im.ID, string(Running), db.T(db.Now()), string(Queued)); err != nil {
			return false, err
		}
	}
	if err := r.open(actx, im); err != nil {
		if v := apperr.AsValidation(err); v != nil {
			return true, s.fail(ctx, im.ID, v.Error(), complete)
		}
		return false, err
	}
	eof, err := r.run(actx, im, complete)
	if err != nil {
		// What did not commit is read again next time.
		r.close()
		r.src, r.rowNo = nil, 0
		return false, err
	}
	if eof && !im.DryRun {
		// The file holds people's data and is no longer needed: the
		// error report and undo read import_rows. A dry run keeps it for
		// the real import (Again).
		r.close()
		r.src = nil
		os.Remove(s.path(im.ID))
	}
	return eof, nil
}

// open opens the file and skips the rows earlier batches committed.
func (r *runner) open(ctx context.Context, im Import) error {
	if r.lk == nil {
		lk, err := r.s.lookups(ctx)
		if err != nil {
			return err
		}
		r.lk = &lk
	}
	if r.src != nil && r.rowNo == im.RowsDone {
		return nil
	}
	r.close()
	src, err := r.s.open(im)
	if err != nil {
		return err
	}
	r.src, r.rowNo = src, 0
	for r.rowNo < im.RowsDone {
		if _, err := src.Next(); err != nil {
			return fmt.Errorf("importer: resume at row %d: %w", im.RowsDone, err)
		}
		r.rowNo++
	}
	return nil
}

// run reads the next batch, or the next two when they may run at once,
// and applies them; it reports whether the file ended.
func (r *runner) run(ctx context.Context, im Import, complete func(*db.Tx) error) (bool, error) {
	cur, err := r.read(r.rowNo)
	if err != nil {
		return false, err
	}
	if !r.pipelined(im) || cur.eof {
		_, err := r.apply(ctx, im, cur, complete, nil)
		return cur.eof, err
	}
	next, err := r.read(cur.first + int64(len(cur.items)))
	if err != nil {
		// What was read before still goes in.
		if _, aerr := r.apply(ctx, im, cur, nil, nil); aerr != nil {
			return false, aerr
		}
		return false, err
	}
	return next.eof, r.applyPair(ctx, im, cur, next, complete)
}

// span is a batch of rows read from the file: first is the number of
// rows before it, offset the file's offset after it, eof whether the file
// ends with it.
type span struct {
	items  []item
	first  int64
	offset int64
	eof    bool
}

// read reads the next batch of rows, the first of them row first+1.
func (r *runner) read(first int64) (span, error) {
	sp := span{first: first}
	for len(sp.items) < r.s.o.Batch {
		it, err := r.src.Next()
		if errors.Is(err, io.EOF) {
			sp.eof = true
			break
		}
		if err != nil {
			return sp, err
		}
		sp.items = append(sp.items, it)
	}
	sp.offset = r.src.Offset()
	r.rowNo = first + int64(len(sp.items))
	return sp, nil
}

// apply runs a batch of rows in one transaction and records what each
// came to, the counts and the checkpoint with it. before, when not nil,
// runs in the transaction between the rows and the checkpoint; an error
// from it rolls the batch back.
func (r *runner) apply(ctx context.Context, im Import, sp span, complete func(*db.Tx) error, before func([]rowResult) error) ([]rowResult, error) {
	s := r.s
	var results []rowResult
	work := func(tx *db.Tx) error {
		var err error
		if results, err = r.rows(ctx, tx, im, sp.items, sp.first); err != nil {
			return err
		}
		if im.DryRun {
			return errDryRun
		}
		if before != nil {
			if err := before(results); err != nil {
				return err
			}
		}
		return saveBatch(ctx, tx, im, sp.first, results, sp.offset, sp.eof, complete)
	}
	err := s.o.DB.WithTx(ctx, work)
	if errors.Is(err, errDryRun) {
		// Nothing the rows did is kept; what they came to is.
		err = s.o.DB.WithTx(ctx, func(tx *db.Tx) error {
			return saveBatch(ctx, tx, im, sp.first, results, sp.offset, sp.eof, complete)
		})
	}
	return results, err
}

// rows imports batch inside tx and says what each row came to; first is
// the number of rows before the batch.
func (r *runner) rows(ctx context.Context, tx *db.Tx, im Import, batch []item, first int64) ([]rowResult, error) {
	companies := map[string]string{}
	results := make([]rowResult, 0, len(batch))
	src := contact.ImportSource{ImportID: im.ID, File: im.FileName}
	var pending []contactRow
	for i, it := range batch {
		res := rowResult{rowNo: first + int64(i) + 1, line: it.Line, raw: it.Raw}
		if it.Problem != nil {
			res.outcome, res.problem = contact.Rejected, it.Problem
		} else if im.Object == Companies {
			if err := r.company(ctx, tx, im, it, src, &res); err != nil {
				return nil, err
			}
		} else {
			in, ok, err := r.contact(ctx, tx, im, it, src, companies, &res)
			if err != nil {
				return nil, err
			}
			if ok {
				pending = append(pending, contactRow{result: len(results), in: in, note: it.Values.notes(), line: it.Line})
			}
		}
		results = append(results, res)
	}
	return results, r.contacts(ctx, tx, im, pending, src, results)
}

// company imports one company row into res.
func (r *runner) company(ctx context.Context, tx *db.Tx, im Import, it item, src contact.ImportSource, res *rowResult) error {
	var v apperr.Validation
	in := companyInput(it.Values, *r.lk, &v)
	if v.Err() != nil {
		res.outcome, res.problem = contact.Rejected, v.Err()
		return nil
	}
	out, err := r.s.o.Companies.ImportTx(ctx, tx, in, im.Mode, src)
	if err != nil {
		return err
	}
	res.outcome, res.recordID, res.problem = out.Outcome, out.ID, out.Problem
	if out.Before != nil {
		res.before = out.Before
	}
	return nil
}

// companyKey is a company name as a batch remembers it, and as the
// pipeline compares rows (pipeline.go).
func companyKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// contactRow is a row handed to the contact service with the batch.
type contactRow struct {
	result int // index in the batch's results
	in     contact.Input
	note   string
	line   int
}

// contact turns one contact row into the contact service's input, or
// fills res when the row ends here (rejected, or matched in a dry run).
func (r *runner) contact(ctx context.Context, tx *db.Tx, im Import, it item, src contact.ImportSource, companies map[string]string, res *rowResult) (contact.Input, bool, error) {
	var v apperr.Validation
	in, companyName := r.input(it, &v)
	if v.Err() != nil {
		res.outcome, res.problem = contact.Rejected, v.Err()
		return in, false, nil
	}
	if note := it.Values.notes(); note != "" && r.s.o.Activities != nil {
		if err := activity.CheckNote(note); err != nil {
			res.outcome, res.problem = contact.Rejected, err
			return in, false, nil
		}
	}
	if companyName != "" {
		cid, err := r.companyFor(ctx, tx, companyName, src, companies)
		if pv := apperr.AsValidation(err); pv != nil {
			// The company's own field names ("name") would not say it is
			// the company that is wrong.
			about := &apperr.Validation{Conflict: pv.Conflict}
			for _, f := range pv.Fields {
				about.Add("company", f.Message)
			}
			res.outcome, res.problem = contact.Rejected, about
			return in, false, nil
		}
		if err != nil {
			return in, false, err
		}
		in.CompanyIDs = &[]string{cid}
	}
	if im.DryRun && r.matchesDry(in) {
		res.outcome = contact.Updated
		if im.Mode == contact.ImportSkip {
			res.outcome = contact.Skipped
		}
		return in, false, nil
	}
	return in, true, nil
}

// input is the contact a row describes (from a vCard or a mapped CSV
// row) and the name of its company, its problems added to v.
func (r *runner) input(it item, v *apperr.Validation) (contact.Input, string) {
	if it.Card != nil {
		return cardInput(*it.Card, v)
	}
	return contactInput(it.Values, *r.lk, v)
}

// companyFor returns the company a contact row names, found or created,
// remembering names (lower case) within the batch's transaction in
// companies.
func (r *runner) companyFor(ctx context.Context, tx *db.Tx, name string, src contact.ImportSource, companies map[string]string) (string, error) {
	key := companyKey(name)
	if cid, ok := companies[key]; ok {
		return cid, nil
	}
	cid, _, err := r.s.o.Companies.ForImportTx(ctx, tx, name, src)
	if err == nil {
		companies[key] = cid
	}
	return cid, err
}

// contacts runs the batch's contact rows through the contact service
// together and adds their notes.
func (r *runner) contacts(ctx context.Context, tx *db.Tx, im Import, rows []contactRow, src contact.ImportSource, results []rowResult) error {
	if len(rows) == 0 {
		return nil
	}
	ins := make([]contact.Input, len(rows))
	for i, row := range rows {
		ins[i] = row.in
	}
	outs, err := r.s.o.Contacts.ImportBatchTx(ctx, tx, ins, im.Mode, src)
	if err != nil {
		return err
	}
	for i, row := range rows {
		out, res := outs[i], &results[row.result]
		res.outcome, res.recordID, res.problem = out.Outcome, out.ID, out.Problem
		if out.Before != nil {
			res.before = out.Before
		}
		if im.DryRun && out.Outcome == contact.Created {
			r.rememberDry(row.in)
		}
		if row.note != "" && r.s.o.Activities != nil && (out.Outcome == contact.Created || out.Outcome == contact.Updated) {
			companyID := ""
			if row.in.CompanyIDs != nil && len(*row.in.CompanyIDs) > 0 {
				companyID = (*row.in.CompanyIDs)[0]
			}
			if _, err := r.s.o.Activities.NoteTx(ctx, tx, out.ID, companyID, row.note); err != nil {
				return fmt.Errorf("importer: note of line %d: %w", row.line, err)
			}
		}
	}
	return nil
}

var rowColumns = []string{"import_id", "row_no", "line", "outcome", "record_id", "before", "problem", "raw"}

// saveBatch writes the batch's rows, counts and checkpoint, and ends the
// import after its last batch. first is the checkpoint the batch starts
// from: if the import is no longer there (canceled, or another run moved
// on), nothing of the batch is kept.
func saveBatch(ctx context.Context, tx *db.Tx, im Import, first int64, results []rowResult, offset int64, eof bool, complete func(*db.Tx) error) error {
	var created, updated, skipped, rejected int64
	rows := make([][]any, 0, len(results))
	for _, r := range results {
		var before, problem, raw any
		switch r.outcome {
		case contact.Created:
			created++
		case contact.Updated:
			updated++
			if r.before != nil && !im.DryRun {
				b, _ := json.Marshal(r.before)
				before = string(b)
			}
		case contact.Skipped:
			skipped++
		case contact.Rejected:
			rejected++
			b, _ := json.Marshal(problemFields(r.problem))
			problem = string(b)
			rb, _ := json.Marshal(r.raw)
			raw = string(rb)
		}
		recordID := any(nil)
		if r.recordID != "" && !im.DryRun {
			recordID = r.recordID
		}
		rows = append(rows, []any{im.ID, r.rowNo, r.line, r.outcome, recordID, before, problem, raw})
	}
	if err := db.Insert(ctx, tx, "import_rows", rowColumns, rows); err != nil {
		return fmt.Errorf("importer: rows: %w", err)
	}
	now := db.Now()
	status, finished := Running, any(nil)
	if eof {
		status, finished = Done, db.T(now)
	}
	res, err := tx.ExecContext(ctx, `UPDATE imports SET rows_done = rows_done + $2, bytes_done = $3,
		created_count = created_count + $4, updated_count = updated_count + $5, skipped_count = skipped_count + $6,
		rejected_count = rejected_count + $7, status = $8, finished_at = $9, updated_at = $10
		WHERE id = $1 AND rows_done = $11 AND status IN ($12, $13)`,
		im.ID, len(results), offset, created, updated, skipped, rejected, string(status), finished, db.T(now),
		first, string(Running), string(Queued))
	if err != nil {
		return fmt.Errorf("importer: checkpoint: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		// Canceled, or another run got here first: keep nothing of this batch.
		return fmt.Errorf("importer: import %s moved on: %w", im.ID, apperr.ErrConflict)
	}
	if !eof {
		return nil
	}
	done, err := loadImport(ctx, tx, im.ID)
	if err != nil {
		return err
	}
	kind := "import.finished"
	if im.DryRun {
		kind = "import.dry_run_finished"
	}
	if _, err := event.Record(ctx, tx, event.Event{Kind: kind, ActorID: im.CreatedBy, SubjectType: "import", SubjectID: im.ID,
		Data: map[string]any{"file": im.FileName, "object": im.Object, "rows": done.RowsDone, "created": done.Created,
			"updated": done.Updated, "skipped": done.Skipped, "rejected": done.Rejected}}); err != nil {
		return err
	}
	if complete != nil {
		return complete(tx)
	}
	return nil
}

// problemFields is a rejected row's reasons as field errors.
func problemFields(err error) []apperr.FieldError {
	if v := apperr.AsValidation(err); v != nil {
		return v.Fields
	}
	if err == nil {
		return []apperr.FieldError{}
	}
	return []apperr.FieldError{{Field: "row", Message: err.Error()}}
}

// actAs returns ctx acting as the user who started the import, or a
// message saying why it cannot go on.
func (s *Service) actAs(ctx context.Context, userID string) (context.Context, string, error) {
	if userID == "" {
		return access.WithActor(ctx, access.SystemActor), "", nil
	}
	u, err := s.o.Users.ByID(ctx, userID)
	if errors.Is(err, apperr.ErrNotFound) {
		return ctx, "The user who started this import no longer exists.", nil
	}
	if err != nil {
		return ctx, "", err
	}
	if !u.DisabledAt.IsZero() {
		return ctx, "The user who started this import has been deactivated.", nil
	}
	return access.WithActor(ctx, u.Actor()), "", nil
}

// fail ends an import with a message.
func (s *Service) fail(ctx context.Context, importID, msg string, complete func(*db.Tx) error) error {
	return s.o.DB.WithTx(ctx, func(tx *db.Tx) error {
		now := db.Now()
		_, err := tx.ExecContext(ctx, `UPDATE imports SET status = $2, error = $3, finished_at = $4, updated_at = $4
			WHERE id = $1 AND status IN ($5, $6)`, importID, string(Failed), msg, db.T(now), string(Running), string(Queued))
		if err != nil || complete == nil {
			return err
		}
		return complete(tx)
	})
}

func finishJob(ctx context.Context, d *db.DB, complete func(*db.Tx) error) error {
	if complete == nil {
		return nil
	}
	return d.WithTx(ctx, complete)
}

// lookups reads what mapping rows needs: users by email.
func (s *Service) lookups(ctx context.Context) (lookups, error) {
	users, err := s.o.Users.List(ctx)
	if err != nil {
		return lookups{}, err
	}
	region, err := setting.Region(ctx, s.o.DB.R)
	if err != nil {
		return lookups{}, err
	}
	lk := lookups{owners: map[string]string{}, region: region, tags: map[string]bool{}}
	rows, err := s.o.DB.R.QueryContext(ctx, `SELECT name_lower FROM tags`)
	if err != nil {
		return lookups{}, fmt.Errorf("importer: tags: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return lookups{}, err
		}
		lk.tags[name] = true
	}
	if err := rows.Err(); err != nil {
		return lookups{}, err
	}
	for _, u := range users {
		if u.DisabledAt.IsZero() {
			if _, taken := lk.owners[strings.ToLower(u.Name)]; !taken {
				lk.owners[strings.ToLower(u.Name)] = u.ID
			}
		}
	}
	for _, u := range users {
		if u.DisabledAt.IsZero() {
			lk.owners[strings.ToLower(u.Email)] = u.ID
		}
	}
	return lk, nil
}

// dryKeys are the keys a contact row matches by, as the import matches:
// its emails, then its phone numbers in E.164.
func (r *runner) dryKeys(in contact.Input) []string {
	var keys []string
	if in.Emails != nil {
		for _, e := range *in.Emails {
			keys = append(keys, "e:"+strings.ToLower(strings.TrimSpace(e.Address)))
		}
	}
	if in.Phones != nil {
		for _, p := range *in.Phones {
			if e164, err := phone.Normalise(strings.TrimSpace(p.Number), r.lk.region); err == nil {
				keys = append(keys, "p:"+e164)
			}
		}
	}
	return keys
}

// rememberDry notes a contact a dry run's batch created (and rolled back),
// so that later rows matching it count as matches, as in the real import.
func (r *runner) rememberDry(in contact.Input) {
	if r.dryEmails == nil {
		r.dryEmails = map[string]bool{}
	}
	for _, k := range r.dryKeys(in) {
		r.dryEmails[k] = true
	}
}

// matchesDry reports whether a dry run's earlier batch created a contact
// with one of in's emails or phone numbers.
func (r *runner) matchesDry(in contact.Input) bool {
	for _, k := range r.dryKeys(in) {
		if r.dryEmails[k] {
			return true
		}
	}
	return false
}
