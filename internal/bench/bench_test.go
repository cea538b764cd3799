package bench_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/bench"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
)

// TestRunEndToEnd runs the whole harness on a tiny data set of each engine:
// it proves every operation runs and reports, not how fast it is.
func TestRunEndToEnd(t *testing.T) {
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			o := bench.Options{Engines: []db.Engine{e}, Contacts: 300, Duration: 300 * time.Millisecond, MaxOps: 20, Clients: 4}
			if e == db.Postgres {
				o.PostgresURL = dbtest.Source(t, e).String()
			}
			rep, err := bench.Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			ops := map[string]bool{}
			for _, r := range rep.Results {
				ops[r.Operation] = true
				if r.Value <= 0 || r.Base <= 0 {
					t.Errorf("%s: value %v, baseline %v", r.Operation, r.Value, r.Base)
				}
				if r.Samples < 2 || r.BaseSamples < 2 {
					t.Errorf("%s: %d and %d samples; a percentile needs more than one", r.Operation, r.Samples, r.BaseSamples)
				}
			}
			if len(ops) < 6 {
				t.Errorf("%d operations measured: %v", len(ops), ops)
			}
			var md bytes.Buffer
			rep.Markdown(&md, "test machine")
			if !strings.Contains(md.String(), "| "+string(e)+" | 300 contacts") {
				t.Errorf("markdown lacks the data set line:\n%s", md.String())
			}
		})
	}
}

func TestRefusesDatabasesWithData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "used.db")
	if err := os.WriteFile(path, []byte("SQLite format 3\x00 not empty"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := bench.Run(context.Background(), bench.Options{Engines: []db.Engine{db.SQLite}, Contacts: 10, SQLitePath: path})
	if !errors.Is(err, bench.ErrNotFresh) {
		t.Errorf("err = %v, want ErrNotFresh", err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != "SQLite format 3\x00 not empty" {
		t.Error("the file was changed")
	}
	if e := dbtest.Engines(); len(e) == 2 {
		src := dbtest.Source(t, db.Postgres)
		used := dbtest.OpenUnmigrated(t, src)
		if _, err := used.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		_, err := bench.Run(context.Background(), bench.Options{Engines: []db.Engine{db.Postgres}, Contacts: 10, PostgresURL: src.String()})
		if !errors.Is(err, bench.ErrNotFresh) {
			t.Errorf("postgres: err = %v, want ErrNotFresh", err)
		}
	}
	if _, err := bench.Run(context.Background(), bench.Options{Engines: []db.Engine{"oracle"}, Contacts: 10}); err == nil {
		t.Error("engine oracle accepted")
	}
}
