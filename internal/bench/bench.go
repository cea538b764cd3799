// Package bench is `rapport bench`: it builds a data set in a fresh database
// of each engine and measures the operations of DESIGN.md §6, each beside a
// baseline measured in the same run (plain SQL, a bare handler), so the
// ratio means something on a shared, noisy machine.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/demo"
	"github.com/rapportcrm/rapport/internal/user"
)

// Options configure a run.
type Options struct {
	Engines  []db.Engine
	Contacts int
	// Deals is the size of the deal data set; 0 means a fifth of Contacts.
	Deals int
	// SQLitePath is the file to build the SQLite data set in; it must not
	// exist or be empty. "" makes a temporary file.
	SQLitePath string
	// PostgresURL names an empty PostgreSQL database (or schema, through
	// search_path) to build the data set in.
	PostgresURL string
	// Duration bounds each measurement; MaxOps, when above 0, also bounds
	// its count (per client for load tests).
	Duration time.Duration
	MaxOps   int
	// Clients is the number of concurrent connections for load tests.
	Clients int
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// Only names the operations to measure (see OpNames); empty measures all.
	Only []string
	// ImportRows is the size of the CSV import benchmark; 0 means 20,000
	// or the data set's size if smaller.
	ImportRows int
}

// OpNames are the operations a run can be limited to, in the order they run.
var OpNames = []string{"list", "scopes", "deep", "custom", "search", "timeline", "export", "create", "import", "tasks", "kanban", "forecast", "http", "apikey", "webhooks"}

// wants reports whether the run measures the named operation.
func (o Options) wants(name string) bool {
	return len(o.Only) == 0 || slices.Contains(o.Only, name)
}

// ErrNotFresh means the database given already holds data.
var ErrNotFresh = errors.New("bench needs a fresh, empty database; it refuses to touch one that holds data")

// Result is one operation measured beside its baseline.
type Result struct {
	Engine    db.Engine
	Operation string
	Baseline  string
	// Unit says what Value and Base are: "req/s", "ms p95", "rows/s".
	Unit        string
	Value, Base float64
	// HigherIsBetter tells how to read the ratio.
	HigherIsBetter bool
	// Detail holds extra figures (p50/p99, counts).
	Detail string
	// Samples and BaseSamples are how many operations were measured.
	Samples, BaseSamples int
	// Target is the goal from the issues, "" when none; Met says whether
	// this run reached it.
	Target string
	Met    bool
}

// Ratio is Value over Base.
func (r Result) Ratio() float64 {
	if r.Base == 0 {
		return 0
	}
	return r.Value / r.Base
}

// Report is a whole run.
type Report struct {
	Date     time.Time
	Contacts int
	Sizes    map[db.Engine]demo.Result
	LoadTime map[db.Engine]time.Duration
	Results  []Result
}

// Run builds each engine's data set and measures it.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Contacts < 1 {
		return nil, fmt.Errorf("bench: --contacts must be at least 1, not %d", o.Contacts)
	}
	if o.Duration <= 0 {
		o.Duration = 5 * time.Second
	}
	if o.Clients <= 0 {
		o.Clients = 64
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	rep := &Report{Date: time.Now().UTC(), Contacts: o.Contacts, Sizes: map[db.Engine]demo.Result{}, LoadTime: map[db.Engine]time.Duration{}}
	for _, e := range o.Engines {
		d, cleanup, err := open(ctx, o, e)
		if err != nil {
			return rep, err
		}
		err = runEngine(ctx, o, d, rep)
		cleanup()
		if err != nil {
			return rep, fmt.Errorf("bench %s: %w", e, err)
		}
	}
	return rep, nil
}

// open opens and migrates a fresh database of engine e, refusing one that
// already has tables of its own.
func open(ctx context.Context, o Options, e db.Engine) (*db.DB, func(), error) {
	var src db.Source
	cleanup := func() {}
	switch e {
	case db.SQLite:
		path := o.SQLitePath
		if path == "" {
			dir, err := os.MkdirTemp("", "rapport-bench-")
			if err != nil {
				return nil, nil, err
			}
			path = filepath.Join(dir, "bench.db")
			cleanup = func() { os.RemoveAll(dir) }
		} else if st, err := os.Stat(path); err == nil && st.Size() > 0 {
			return nil, nil, fmt.Errorf("%s: %w", path, ErrNotFresh)
		}
		src = db.Source{Engine: db.SQLite, Path: path}
	case db.Postgres:
		if o.PostgresURL == "" {
			return nil, nil, errors.New("bench: --postgres URL is needed to benchmark PostgreSQL")
		}
		var err error
		if src, err = db.ParseSource(o.PostgresURL); err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, fmt.Errorf("bench: unknown engine %q (use sqlite, postgres or both)", e)
	}
	d, err := db.Open(ctx, src)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	if err := fresh(ctx, d); err != nil {
		d.Close()
		cleanup()
		return nil, nil, err
	}
	if _, err := d.Migrate(ctx); err != nil {
		d.Close()
		cleanup()
		return nil, nil, err
	}
	return d, func() { d.Close(); cleanup() }, nil
}

func fresh(ctx context.Context, d *db.DB) error {
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'`
	if d.Engine == db.Postgres {
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	var n int
	if err := d.R.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return ErrNotFresh
	}
	return nil
}

// actor returns a context acting as the demo owner.
func actor(ctx context.Context, d *db.DB) (context.Context, error) {
	users, err := user.NewService(d).List(ctx)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if u.Email == demo.OwnerEmail {
			return access.WithActor(ctx, u.Actor()), nil
		}
	}
	return nil, errors.New("bench: the demo owner is missing")
}
