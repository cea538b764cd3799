// Package backup writes consistent online backups of Rapport's database and
// restores them into an empty database.
//
// On SQLite a backup is VACUUM INTO a temporary file next to the target: it
// reads one snapshot, so writers carry on while it runs. On PostgreSQL it is
// pg_dump --format=custom of the database's schema, run inside a snapshot
// exported by a transaction that also counts every table, so the counts
// printed are the counts in the file. Either way the file is checked (SQLite
// integrity_check; pg_restore --list) and synced to disk before it is
// renamed into place: a file with the final name is always a whole,
// verified backup.
//
// Scheduled backups are written to <data-dir>/backups by a periodic job and
// pruned to the newest N.
package backup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/db"
)

// ErrBusy is returned when a backup to the backup folder is already being
// written by this process or, on PostgreSQL, by another one.
var ErrBusy = errors.New("backup: another backup is being written right now")

// Options are a Service's dependencies.
type Options struct {
	DB *db.DB
	// Source is where DB was opened from; pg_dump connects to its URL.
	Source db.Source
	// DataDir is the --data-dir; backups made by the schedule and the
	// "Back up now" button go to its backups folder.
	DataDir string
	// PgDump and PgRestore are the PostgreSQL client programs; empty means
	// "pg_dump" and "pg_restore" found on PATH.
	PgDump, PgRestore string
	// Logger receives a line per scheduled backup; default slog.Default().
	Logger *slog.Logger
}

// Service writes backups of one database and manages the backup folder.
type Service struct {
	db     *db.DB
	src    db.Source
	dir    string
	tools  tools
	logger *slog.Logger
	// running lets one backup into the folder run at a time in this process.
	running sync.Mutex
}

// NewService returns the backup service of o.DB.
func NewService(o Options) *Service {
	l := o.Logger
	if l == nil {
		l = slog.Default()
	}
	return &Service{db: o.DB, src: o.Source, dir: filepath.Join(o.DataDir, "backups"),
		tools: tools{dump: o.PgDump, restore: o.PgRestore}, logger: l}
}

// Dir is the folder of scheduled backups: <data-dir>/backups.
func (s *Service) Dir() string { return s.dir }

// Result describes a backup file that was written or restored.
type Result struct {
	Path   string
	Engine db.Engine
	// Size is the file's size in bytes.
	Size int64
	// Tables holds the row count of every table in the backup, as of the
	// moment the backup's snapshot was taken.
	Tables map[string]int64
	// Started is when the snapshot was taken (near enough: just before).
	Started  time.Time
	Duration time.Duration
	// Migrations lists the migrations applied after a restore.
	Migrations []string
}

// TableNames returns the names in Tables, sorted.
func (r Result) TableNames() []string {
	names := make([]string, 0, len(r.Tables))
	for n := range r.Tables {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Write writes a backup of the database to out, replacing out only once the
// new file is complete, verified and on disk. The actor must be allowed to
// change settings (shell commands act as the system).
func (s *Service) Write(ctx context.Context, out string) (Result, error) {
	if _, err := access.Check(ctx, access.Settings, access.Update); err != nil {
		return Result{}, err
	}
	return s.write(ctx, out)
}

func (s *Service) write(ctx context.Context, out string) (Result, error) {
	abs, err := filepath.Abs(out)
	if err != nil {
		return Result{}, err
	}
	if err := s.checkTarget(abs); err != nil {
		return Result{}, err
	}
	start := time.Now()
	tmp, err := tempNextTo(abs)
	if err != nil {
		return Result{}, err
	}
	defer os.Remove(tmp) // a no-op once renamed
	res := Result{Path: abs, Engine: s.db.Engine, Started: start}
	switch s.db.Engine {
	case db.SQLite:
		err = s.sqliteBackup(ctx, tmp)
		if err == nil {
			res.Tables, err = verifySQLite(ctx, tmp)
		}
	case db.Postgres:
		var counts map[string]int64
		counts, err = s.pgBackup(ctx, tmp)
		if err == nil {
			err = s.tools.verifyDump(ctx, tmp, counts)
		}
		res.Tables = counts
	default:
		err = fmt.Errorf("unknown engine %q", s.db.Engine)
	}
	if err != nil {
		return Result{}, fmt.Errorf("backup: %w", err)
	}
	if res.Size, err = commit(tmp, abs); err != nil {
		return Result{}, fmt.Errorf("backup: %w", err)
	}
	res.Duration = time.Since(start)
	return res, nil
}

// checkTarget refuses to write a backup over the live database file.
func (s *Service) checkTarget(out string) error {
	if s.db.Engine != db.SQLite {
		return nil
	}
	for _, p := range []string{s.db.Path, s.db.Path + "-wal", s.db.Path + "-shm"} {
		if sameFile(p, out) {
			return fmt.Errorf("backup: %s is the database itself; choose another file", out)
		}
	}
	return nil
}

func sameFile(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(sa, sb)
}

// tempNextTo creates an empty, hidden temporary file in the folder of path,
// so the final rename stays on one file system.
func tempNextTo(path string) (string, error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+tmpMarker+"*")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("backup: folder %s does not exist", dir)
		}
		return "", fmt.Errorf("backup: cannot write in folder %s: %w", dir, errors.Unwrap(err))
	}
	name := f.Name()
	f.Close()
	return name, nil
}

// tmpMarker is in the name of every file being written.
const tmpMarker = ".tmp-"

// commit syncs tmp to disk, renames it to path and syncs the folder, so
// that after a crash path is either the old file or the whole new one.
func commit(tmp, path string) (int64, error) {
	f, err := os.OpenFile(tmp, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("sync %s: %w", tmp, err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, err
	}
	return st.Size(), syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}

// Kind tells what a backup file holds, from its first bytes.
func Kind(path string) (db.Engine, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	head := make([]byte, 16)
	n, _ := f.Read(head)
	switch {
	case strings.HasPrefix(string(head[:n]), "SQLite format 3\x00"):
		return db.SQLite, nil
	case strings.HasPrefix(string(head[:n]), "PGDMP"):
		return db.Postgres, nil
	}
	return "", fmt.Errorf("backup: %s is neither a SQLite backup nor a pg_dump custom-format archive", path)
}

// FormatSize writes a number of bytes for people: "840 B", "12.3 MB".
func FormatSize(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTP"[exp])
}
