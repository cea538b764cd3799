// Package importer brings contacts and companies in from CSV files and
// vCards: the web wizard and `rapport import` both use it.
//
// An upload is kept in the data folder; its format (encoding, delimiter)
// and a column mapping are guessed and may be changed; then the import runs
// as a durable job in batches. Each batch writes its records, one
// import_rows line per row and the checkpoint (rows_done) in one
// transaction, so an import that stops for any reason resumes with the next
// row and never applies a row twice. Every row goes through the same rules
// as a form (contact.Service.ImportTx): it is accepted whole or rejected
// whole with its line number and reason.
package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/csvfile"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/jobs"
	"github.com/rapportcrm/rapport/internal/user"
)

// MaxFileSize is the largest file an import takes: enough for millions of
// rows.
const MaxFileSize int64 = 1 << 30

// Objects an import creates.
const (
	Contacts  = "contact"
	Companies = "company"
)

// Formats of import files.
const (
	CSV   = "csv"
	VCard = "vcard"
)

// Status of an import.
type Status string

// Statuses, in the order an import goes through them.
const (
	Uploaded Status = "uploaded"
	Queued   Status = "queued"
	Running  Status = "running"
	Done     Status = "done"
	Failed   Status = "failed"
	Canceled Status = "canceled"
	// Undoing: a finished import being taken back by a job; then Undone.
	Undoing Status = "undoing"
	Undone  Status = "undone"
)

// Import is one file being brought in.
type Import struct {
	ID        string
	Object    string
	Format    string
	FileName  string
	FileSize  int64
	SHA256    string
	Encoding  string
	Delimiter string
	// Header is the file's first row (CSV).
	Header []string
	// Mapping is the field key each column goes to ("" leaves it out).
	Mapping []string
	Mode    contact.ImportMode
	// DryRun runs every row through the rules without keeping anything.
	DryRun    bool
	Status    Status
	RowsDone  int64
	BytesDone int64
	Created   int64
	Updated   int64
	Skipped   int64
	Rejected  int64
	Error     string
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
	StartedAt time.Time
	// FinishedAt is when it ended (done, failed, canceled).
	FinishedAt time.Time
	// Undo is how far taking the import back has come.
	Undo UndoProgress
}

// UndoProgress counts what undoing an import has done so far.
type UndoProgress struct {
	// Total is the rows that created or changed a record; Done of them
	// have been taken back or left alone.
	Total, Done int64
	// Removed, Restored and LeftAlone count records (a record several
	// rows touched counts once).
	Removed, Restored, LeftAlone int64
	By                           string
	StartedAt                    time.Time
	cursor                       int64
}

// Percent is how far the undo is, 0–100.
func (u UndoProgress) Percent() int {
	if u.Total == 0 {
		return 100
	}
	return int(100 * u.Done / u.Total)
}

// Finished reports whether the import has ended.
func (im Import) Finished() bool {
	return im.Status == Done || im.Status == Failed || im.Status == Canceled || im.Status == Undone
}

// Percent is how far through the file the import is, 0–100.
func (im Import) Percent() int {
	if im.Status == Done {
		return 100
	}
	if im.FileSize <= 0 {
		return 0
	}
	return int(min(99, im.BytesDone*100/im.FileSize))
}

// RowsPerSecond is the rate since the import started, 0 before.
func (im Import) RowsPerSecond() float64 {
	if im.StartedAt.IsZero() || im.RowsDone == 0 {
		return 0
	}
	end := im.FinishedAt
	if end.IsZero() {
		end = time.Now()
	}
	secs := end.Sub(im.StartedAt).Seconds()
	if secs <= 0 {
		return 0
	}
	return float64(im.RowsDone) / secs
}

// Options are the service's dependencies.
type Options struct {
	DB        *db.DB
	Contacts  *contact.Service
	Companies *company.Service
	Users     *user.Service
	// Activities takes a contact's notes column as a note on its
	// timeline; nil leaves notes out.
	Activities *activity.Service
	// Dir holds uploaded files (<data-dir>/imports).
	Dir string
	// Queue runs imports as durable jobs; nil leaves running to the caller
	// (the shell command runs them in-process).
	Queue *jobs.Queue
	// Batch is how many rows one transaction takes; default 5,000 on
	// SQLite and 3,500 on PostgreSQL, where two batches are in flight
	// (pipeline.go): a fraction of a second of work, far inside the job's
	// time limits, and the same memory either way.
	Batch int
}

// Service is the one way imports are made and run.
type Service struct {
	o Options
}

// New returns the import service.
func New(o Options) *Service {
	if o.Batch <= 0 {
		o.Batch = 5000
		if o.DB != nil && o.DB.Engine == db.Postgres {
			o.Batch = 3500
		}
	}
	return &Service{o: o}
}

// UseQueue gives the service the job queue once the server has one.
func (s *Service) UseQueue(q *jobs.Queue) { s.o.Queue = q }

func perm(object string) string {
	if object == Companies {
		return access.Companies
	}
	return access.Contacts
}

// Upload keeps the file r (named fileName) for an import of object,
// guesses its format and mapping, and returns the new import. A file over
// MaxFileSize, an empty file or one that is neither CSV nor vCard is
// refused with a message saying so; nothing is kept then.
func (s *Service) Upload(ctx context.Context, object, fileName string, r io.Reader) (Import, error) {
	if object != Contacts && object != Companies {
		v := &apperr.Validation{}
		v.Add("object", "Choose contacts or companies.")
		return Import{}, v
	}
	actor, err := access.Check(ctx, perm(object), access.Create)
	if err != nil {
		return Import{}, err
	}
	im := Import{ID: id.New(), Object: object, FileName: cleanName(fileName), Mode: contact.ImportSkip,
		Status: Uploaded, CreatedBy: actor.UserID}
	if err := os.MkdirAll(s.o.Dir, 0o750); err != nil {
		return Import{}, fmt.Errorf("importer: %w", err)
	}
	path := s.path(im.ID)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return Import{}, fmt.Errorf("importer: keep the file: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, MaxFileSize+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	fail := func(err error) (Import, error) {
		os.Remove(path)
		return Import{}, err
	}
	if err != nil {
		return fail(fmt.Errorf("importer: keep the file: %w", err))
	}
	if n > MaxFileSize {
		return fail(errors.Join(fileProblem(fmt.Sprintf("The file is larger than %d MB, the most one import takes. Split it into smaller files.", MaxFileSize>>20)), ErrTooLarge))
	}
	if n == 0 {
		return fail(fileProblem("The file is empty."))
	}
	im.FileSize, im.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	if err := s.inspect(ctx, &im); err != nil {
		return fail(err)
	}
	now := db.Now()
	im.CreatedAt, im.UpdatedAt = now, now
	err = s.o.DB.WithTx(ctx, func(tx *db.Tx) error {
		if err := insertImport(ctx, tx, im); err != nil {
			return err
		}
		_, err := event.Record(ctx, tx, event.Event{Kind: "import.uploaded", ActorID: actor.UserID, SubjectType: "import",
			SubjectID: im.ID, Data: map[string]any{"file": im.FileName, "size": im.FileSize, "object": im.Object, "format": im.Format}})
		return err
	})
	if err != nil {
		return fail(err)
	}
	return im, nil
}

func fileProblem(msg string) error {
	v := &apperr.Validation{}
	v.Add("file", msg)
	return v
}

// cleanName keeps the base name of an uploaded file, for display only.
func cleanName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "." || name == "/" || name == "" {
		return "upload"
	}
	if len(name) > 200 {
		name = name[:200]
	}
	return strings.ToValidUTF8(name, "")
}

func (s *Service) path(importID string) string { return filepath.Join(s.o.Dir, importID+".upload") }

// Get returns an import its creator (or an admin) may see.
func (s *Service) Get(ctx context.Context, importID string) (Import, error) {
	a, ok := access.ActorFrom(ctx)
	if !ok {
		return Import{}, fmt.Errorf("importer: no actor: %w", apperr.ErrForbidden)
	}
	if !id.Valid(importID) {
		return Import{}, fmt.Errorf("import %q: %w", importID, apperr.ErrNotFound)
	}
	im, err := loadImport(ctx, s.o.DB.R, importID)
	if err != nil {
		return im, err
	}
	if im.CreatedBy != a.UserID && !access.Allowed(a, access.Users, access.Read) {
		return Import{}, fmt.Errorf("import %s: %w", importID, access.ErrOutOfScope)
	}
	if _, err := access.Check(ctx, perm(im.Object), access.Create); err != nil {
		return Import{}, err
	}
	return im, nil
}

// List returns the actor's imports (every import for admins), newest first.
func (s *Service) List(ctx context.Context, limit int) ([]Import, error) {
	a, ok := access.ActorFrom(ctx)
	if !ok {
		return nil, fmt.Errorf("importer: no actor: %w", apperr.ErrForbidden)
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	where, args := "", []any{limit}
	if !access.Allowed(a, access.Users, access.Read) {
		where, args = " WHERE created_by = $2", []any{limit, a.UserID}
	}
	return listImports(ctx, s.o.DB.R, where, args)
}

// Settings are what the wizard lets the user choose before running.
type Settings struct {
	// Encoding and Delimiter override what was guessed ("" keeps it).
	Encoding  string
	Delimiter string
	// Mapping is one field key per column (CSV); nil keeps the current one.
	Mapping []string
	Mode    contact.ImportMode
}

// Configure changes an uploaded import's format, mapping and mode. A
// mapping that leaves no way to name a record is refused.
func (s *Service) Configure(ctx context.Context, importID string, in Settings) (Import, error) {
	im, err := s.Get(ctx, importID)
	if err != nil {
		return im, err
	}
	if im.Status != Uploaded {
		v := &apperr.Validation{Conflict: true}
		v.Add("status", "This import has already started; its settings can no longer change.")
		return im, v
	}
	var v apperr.Validation
	if in.Mode == "" {
		in.Mode = im.Mode
	}
	if !in.Mode.Valid() {
		v.Add("mode", "Choose what to do with existing records: skip, fill empty fields or overwrite.")
	}
	im.Mode = in.Mode
	if im.Format == CSV && (in.Encoding != "" && in.Encoding != im.Encoding || in.Delimiter != "" && in.Delimiter != im.Delimiter) {
		if in.Encoding != "" {
			im.Encoding = in.Encoding
		}
		if in.Delimiter != "" {
			im.Delimiter = in.Delimiter
		}
		before := slices.Clone(im.Header)
		if err := s.reread(&im); err != nil {
			v.Merge(err)
		} else if !slices.Equal(before, im.Header) {
			// Other columns: guess their mapping afresh, unless this
			// request maps them itself.
			defs, err := s.customFields(ctx, im.Object)
			if err != nil {
				return im, err
			}
			im.Mapping = csvfile.Guess(im.Header, im.Object, customColumns(defs))
			if len(in.Mapping) != len(im.Header) {
				in.Mapping = nil
			}
		}
	}
	if in.Mapping != nil && im.Format == CSV {
		im.Mapping = slices.Clone(in.Mapping)
	}
	var defs []customfield.Field
	if im.Format == CSV {
		if defs, err = s.customFields(ctx, im.Object); err != nil {
			return im, err
		}
		v.Merge(checkMapping(im.Object, im.Header, im.Mapping, defs))
	}
	if err := v.Err(); err != nil {
		return im, err
	}
	// Only a mapping that holds otherwise creates fields.
	if err := s.createFields(ctx, &im, defs); err != nil {
		return im, err
	}
	im.UpdatedAt = db.Now()
	header, _ := json.Marshal(im.Header)
	mapping, _ := json.Marshal(im.Mapping)
	_, err = s.o.DB.W.ExecContext(ctx, `UPDATE imports SET encoding = $2, delimiter = $3, header = $4, mapping = $5,
		mode = $6, updated_at = $7 WHERE id = $1 AND status = $8`, im.ID, im.Encoding, im.Delimiter, string(header),
		string(mapping), string(im.Mode), db.T(im.UpdatedAt), string(Uploaded))
	if err != nil {
		return im, fmt.Errorf("importer: configure: %w", err)
	}
	return im, nil
}

// ErrTooLarge marks the validation error of a file over MaxFileSize.
var ErrTooLarge = errors.New("importer: file too large")

// ErrNoQueue is returned by Start when no job queue runs imports.
var ErrNoQueue = errors.New("importer: background jobs are not running")

// Start queues a configured import (or a dry run of it) to run.
func (s *Service) Start(ctx context.Context, importID string, dryRun bool) (Import, error) {
	im, err := s.Get(ctx, importID)
	if err != nil {
		return im, err
	}
	if err := s.ready(ctx, im); err != nil {
		return im, err
	}
	if s.o.Queue == nil {
		return im, ErrNoQueue
	}
	im.DryRun, im.Status = dryRun, Queued
	err = s.o.DB.WithTx(ctx, func(tx *db.Tx) error {
		if err := markQueued(ctx, tx, im); err != nil {
			return err
		}
		return s.o.Queue.Enqueue(ctx, tx, Args{ImportID: im.ID}, nil)
	})
	return im, err
}

// ready checks that im may start.
func (s *Service) ready(ctx context.Context, im Import) error {
	if im.Status != Uploaded {
		v := &apperr.Validation{Conflict: true}
		v.Add("status", "This import has already run. Upload the file again to run it again.")
		return v
	}
	if im.Format == CSV {
		defs, err := s.customFields(ctx, im.Object)
		if err != nil {
			return err
		}
		return checkMapping(im.Object, im.Header, im.Mapping, defs)
	}
	return nil
}

// Cancel stops a queued or running import after its current batch; what
// it imported so far stays (undo removes it).
func (s *Service) Cancel(ctx context.Context, importID string) (Import, error) {
	im, err := s.Get(ctx, importID)
	if err != nil {
		return im, err
	}
	if im.Finished() {
		return im, nil
	}
	now := db.Now()
	_, err = s.o.DB.W.ExecContext(ctx, `UPDATE imports SET status = $2, finished_at = $3, updated_at = $3
		WHERE id = $1 AND status IN ($4, $5, $6)`, im.ID, string(Canceled), db.T(now), string(Uploaded), string(Queued), string(Running))
	if err != nil {
		return im, fmt.Errorf("importer: cancel: %w", err)
	}
	os.Remove(s.path(im.ID))
	return s.Get(ctx, importID)
}

// KeepUploads is how long an upload that was never run (or a dry run's
// file, kept for the real import) stays in the data folder.
const KeepUploads = 7 * 24 * time.Hour

// Cleanup cancels uploads that were never run and removes the files of
// those and of dry runs older than KeepUploads. It runs as a periodic job.
func (s *Service) Cleanup(ctx context.Context) (int, error) {
	cutoff := db.T(db.Now().Add(-KeepUploads))
	rows, err := s.o.DB.R.QueryContext(ctx, `SELECT id FROM imports WHERE updated_at < $1
		AND (status = $2 OR (dry_run = $3 AND status = $4))`, cutoff, string(Uploaded), true, string(Done))
	if err != nil {
		return 0, fmt.Errorf("importer: cleanup: %w", err)
	}
	var ids []string
	for rows.Next() {
		var x string
		if err := rows.Scan(&x); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, x := range ids {
		if _, err := s.o.DB.W.ExecContext(ctx, `UPDATE imports SET status = $2, updated_at = $3 WHERE id = $1 AND status = $4`,
			x, string(Canceled), db.T(db.Now()), string(Uploaded)); err != nil {
			return 0, fmt.Errorf("importer: cleanup: %w", err)
		}
		if err := os.Remove(s.path(x)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return 0, fmt.Errorf("importer: cleanup: %w", err)
		}
	}
	return len(ids), nil
}

// Sample returns the first n rows of an uploaded CSV file as read (fields
// fitted to the header), for the wizard to show beside the mapping; none
// for a vCard file.
func (s *Service) Sample(ctx context.Context, importID string, n int) ([][]string, error) {
	im, err := s.Get(ctx, importID)
	if err != nil || im.Format != CSV {
		return nil, err
	}
	src, err := s.openCSV(im)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	var out [][]string
	for len(out) < n {
		row, err := src.r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *csvfile.RowError
		if errors.As(err, &re) {
			continue
		}
		if err != nil {
			return out, err
		}
		out = append(out, slices.Clone(row.Fields))
	}
	return out, nil
}
